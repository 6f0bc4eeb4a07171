-- Records created once by a client's key (core `projects/keyed.rs`): a
-- project or task made on a device while the server could not be reached
-- is sent later with a key of its own, and a device that crashed after
-- sending it, before hearing the answer, sends it again with the same key.
-- The key's row is claimed first in the transaction that creates the
-- record (a second request with the key waits on it, then finds the
-- first one's record) and keeps the record's id, so nothing is created
-- twice. `fingerprint` binds the key to its request (a key reused for
-- something else is refused). Not part of the change feed.
CREATE TABLE creation_keys (
    user_id      TEXT NOT NULL REFERENCES users(id),
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('project', 'task')),
    fingerprint  TEXT NOT NULL,
    entity_id    BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
