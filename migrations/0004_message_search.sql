-- Full-text search over every message (SQLite FTS5), kept in step with
-- chat_messages by triggers. An external-content index: the text lives once,
-- in chat_messages; the index holds only the terms. `unicode61` folds case
-- and, with remove_diacritics 2, accents ("café" finds "cafe").
CREATE VIRTUAL TABLE chat_messages_fts USING fts5(
    content,
    content = 'chat_messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO chat_messages_fts (rowid, content) SELECT id, content FROM chat_messages;

CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN
    INSERT INTO chat_messages_fts (rowid, content) VALUES (NEW.id, NEW.content);
END;

CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content)
        VALUES ('delete', OLD.id, OLD.content);
END;

-- Only when the text changes (a reply finishing), not on status or count updates.
CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF content ON chat_messages
WHEN NEW.content IS NOT OLD.content BEGIN
    INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content)
        VALUES ('delete', OLD.id, OLD.content);
    INSERT INTO chat_messages_fts (rowid, content) VALUES (NEW.id, NEW.content);
END;
