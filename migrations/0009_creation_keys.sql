-- Records created once by a client's key (core `projects/keyed.rs`): a
-- project or task made on a device while the server could not be reached
-- is sent later with a key of its own, and a device that crashed after
-- sending it, before hearing the answer, sends it again with the same key.
-- The key's row is written in the transaction that creates the record, so
-- the second request gets the first one's record instead of a second
-- record. `fingerprint` binds the key to its request (a key reused for
-- something else is refused). Local mode has the same table so the rules
-- run unchanged on both databases; only an account's server fills it.
CREATE TABLE creation_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,   -- 'project' or 'task'
    fingerprint  TEXT NOT NULL,
    entity_id    INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
