-- Local-mode history imported into an account (server route
-- `POST /v1/import/sessions` and `/v1/import/projects`). Each imported unit —
-- a session with its messages, a project with its tasks and saved pages —
-- is named by the device's import key: the importing profile's id
-- (`source`), the kind and the record's id in that profile's database. The
-- key's row is written in the same transaction as the records it stands
-- for, so a batch sent again (the answer was lost, the import resumed)
-- finds its rows and creates nothing twice. Keys are per account: another
-- account importing the same profile gets records of its own.
CREATE TABLE imported_records (
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source       TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL CHECK (kind IN ('session', 'project')),
    local_id     BIGINT NOT NULL,
    -- The session's or project's id on the server (not a foreign key: the
    -- record may be deleted later, and the key still says "imported").
    record_id    BIGINT NOT NULL,
    -- The unit's content digest as received the first time (core
    -- `import_wire::digest`), answered with every later sending of the key:
    -- the device compares it with its own copy before removing that copy,
    -- so content the server never received is never deleted.
    digest       TEXT COLLATE "C" NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, source, kind, local_id)
);
