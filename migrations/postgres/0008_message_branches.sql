-- Message branches, as on the desktop (migrations/0010_message_branches.sql):
-- a session's messages form a tree, and the session's active leaf ends the
-- path that is the conversation.
--
-- parent_id: the message this one follows (NULL: the first of a path). No
-- foreign key, as on the desktop, whose copies of the account share that
-- schema; the core keeps the tree's rules.
ALTER TABLE chat_messages ADD COLUMN parent_id BIGINT;
-- The last message of the session's active path (NULL: no message yet).
ALTER TABLE chat_sessions ADD COLUMN active_leaf_id BIGINT;

-- Histories so far were linear: each message follows the one before it,
-- and the whole history is the active path (message_count, now the length
-- of that path, already counts every message). Filling the columns is not
-- fed: it changes every account in one transaction, which the feed's
-- trigger refuses (0006), and devices need nothing from it — their copies
-- fill the same columns the same way from the same rows (the desktop's
-- 0010, on the server's ids).
ALTER TABLE chat_messages DISABLE TRIGGER chat_messages_change_feed;
ALTER TABLE chat_sessions DISABLE TRIGGER chat_sessions_change_feed_update;
UPDATE chat_messages c
   SET parent_id = (SELECT MAX(p.id) FROM chat_messages p
                     WHERE p.session_id = c.session_id AND p.id < c.id);
UPDATE chat_sessions s
   SET active_leaf_id = (SELECT MAX(m.id) FROM chat_messages m WHERE m.session_id = s.id);
ALTER TABLE chat_messages ENABLE TRIGGER chat_messages_change_feed;
ALTER TABLE chat_sessions ENABLE TRIGGER chat_sessions_change_feed_update;

CREATE INDEX chat_messages_by_parent_id ON chat_messages(parent_id);

-- message_count is now the length of the active path, which moves with the
-- active leaf: the core's statements write the leaf, the count and the
-- activity time together (a new message becomes the leaf; switching branch
-- moves it). Inserting or deleting a message no longer counts it.
DROP TRIGGER chat_messages_count ON chat_messages;
DROP FUNCTION chat_messages_count();

-- A session's update is fed when it changes what a device keeps: its
-- title, its name, and now its active leaf — a device's copy follows the
-- branch chosen on another device. (Its count a device derives from the
-- leaf, as before from the messages.)
DROP TRIGGER chat_sessions_change_feed_update ON chat_sessions;
CREATE CONSTRAINT TRIGGER chat_sessions_change_feed_update
    AFTER UPDATE ON chat_sessions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.message_count = NEW.message_count
                       OR OLD.active_leaf_id IS DISTINCT FROM NEW.active_leaf_id)
    EXECUTE FUNCTION account_changes_note('session');
