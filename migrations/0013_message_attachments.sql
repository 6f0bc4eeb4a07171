-- Files sent with a user message (core `chat/attachments.rs`): text and
-- code files, and images for vision-capable models. The bytes live in the
-- row, beside the message: they are written, deleted (by cascade with the
-- message and its session), backed up and exported together with it, with
-- no file on disk to lose, leave behind or point elsewhere. The core's
-- size caps (a few MB at most per file, a few files per message) keep the
-- database from growing unbounded.
CREATE TABLE message_attachments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  INTEGER NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,      -- order in the message, from 0
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'image')),
    mime        TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    tokens      INTEGER NOT NULL,      -- prompt tokens of a text file; 0 for an image
    data        BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (message_id, position)
);
