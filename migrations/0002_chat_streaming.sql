-- Streaming replies that survive a crash, at O(reply) write cost.
--
-- While a reply streams, its text is appended here in batches (one row per
-- batch) instead of rewriting the growing message; finishing folds the
-- chunks into chat_messages.content and deletes them. A crash leaves the
-- chunks on disk, and the next start marks the reply `interrupted`.
CREATE TABLE chat_message_chunks (
    message_id  INTEGER NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    content     TEXT NOT NULL,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;

-- Which running process writes a streaming reply (see core `liveness`), so a
-- second process starting up never mistakes a live stream for a crashed one.
ALTER TABLE chat_messages ADD COLUMN stream_owner TEXT;
-- What the provider reported, kept for the credit history and export.
ALTER TABLE chat_messages ADD COLUMN prompt_tokens INTEGER;
ALTER TABLE chat_messages ADD COLUMN reasoning_tokens INTEGER;

-- Typed settings (JSON values). Secrets never go here.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
