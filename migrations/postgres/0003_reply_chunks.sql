-- The text of streaming replies on the server, one row per batch: any
-- instance can show a reply another one is streaming, and recover the text
-- of one whose instance died. Finishing a reply folds its chunks into
-- chat_messages.content and deletes them.
CREATE TABLE chat_reply_chunks (
    message_id  BIGINT NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    content     TEXT NOT NULL,
    PRIMARY KEY (message_id, seq)
);
