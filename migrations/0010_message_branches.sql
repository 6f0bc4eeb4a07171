-- Message branches: a session's messages form a tree. Editing a sent
-- message and sending it again, or regenerating a reply, adds a sibling
-- instead of replacing the old message; the session's active leaf says
-- which path through the tree is the conversation (core `chat/branches.rs`).
--
-- parent_id: the message this one follows (NULL: the first of a path).
-- No foreign key: a device's copy of a hosted account (same schema) applies
-- the server's messages in feed order, which may bring a child before its
-- parent; the tree's rules are kept by the core, and a session's messages
-- go with it (chat_messages.session_id cascades).
ALTER TABLE chat_messages ADD COLUMN parent_id INTEGER;
-- The last message of the session's active path (NULL: no message yet).
ALTER TABLE chat_sessions ADD COLUMN active_leaf_id INTEGER;

-- Histories so far were linear: each message follows the one before it,
-- and the whole history is the active path. message_count (the length of
-- the active path from now on) already counts every message.
UPDATE chat_messages
   SET parent_id = (SELECT MAX(p.id) FROM chat_messages p
                     WHERE p.session_id = chat_messages.session_id AND p.id < chat_messages.id);
UPDATE chat_sessions
   SET active_leaf_id = (SELECT MAX(m.id) FROM chat_messages m WHERE m.session_id = chat_sessions.id);

CREATE INDEX chat_messages_by_parent_id ON chat_messages(parent_id);

-- message_count is now the length of the active path, which moves with the
-- active leaf: the core writes both together (a new message becomes the
-- leaf; switching branch moves it), so inserting or deleting a message no
-- longer counts it. A new message still marks its session active.
DROP TRIGGER chat_messages_count_insert;
DROP TRIGGER chat_messages_count_delete;
CREATE TRIGGER chat_messages_activity AFTER INSERT ON chat_messages
BEGIN
    UPDATE chat_sessions SET updated_at = MAX(updated_at, NEW.created_at) WHERE id = NEW.session_id;
END;
