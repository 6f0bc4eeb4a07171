-- Files sent with a user message, as on the desktop (SQLite migration
-- 0013): the bytes in the row beside the message, so they are stored,
-- deleted and read with it; the core caps each file's size and the server
-- caps the request body.
CREATE TABLE message_attachments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  BIGINT NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'image')),
    mime        TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    tokens      BIGINT NOT NULL,
    data        BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (message_id, position)
);
