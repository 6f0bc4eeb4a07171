-- The change feed: every change to an account's chat sessions, messages,
-- projects, tasks, saved pages (project_sources) and ledger entries
-- (credit_transactions) gets a position in a feed of that account, which
-- devices read by cursor (`GET /v1/changes?after=…`) to keep their copies.
--
-- Shape: one row per changed record, (user_id, kind, entity_id) unique,
-- moved to a new position on each change, and kept as a tombstone
-- (op 'delete') once the record is deleted. So the table holds one row
-- per record the account ever had, and a pull gets each record's latest
-- state once. Records deleted with their parent (a session's messages, a
-- project's tasks and saved pages) leave no tombstone of their own: their
-- rows are dropped, and the parent's tombstone stands for them.
--
-- Positions are numbered per account by account_change_heads: each change
-- takes the account's next position with
--   UPDATE account_change_heads SET position = position + 1 … RETURNING
-- which keeps that row locked until the transaction ends. So one account's
-- positions become visible in the order they were taken: a transaction
-- that takes position p+1 waits until the one holding p has committed (or
-- rolled back), and a reader that has seen position q and asks for what
-- comes after q can never miss a change that commits later with a smaller
-- position. (A global sequence would not do: a later transaction could
-- commit a larger position first, and a reader that passed it would never
-- look back.)
--
-- No new deadlock: the positions are taken by deferred constraint triggers
-- (DEFERRABLE INITIALLY DEFERRED), which run at commit, after every
-- statement of the transaction. So the account's head row is the last lock
-- a transaction takes: whoever holds it is committing and waits for no
-- row another transaction holds — not the buckets (user_usage, locked
-- first by paying), not a session (lock_for_reply), not a message or a
-- project. After it the trigger only touches rows of the same account's
-- feed, which nobody writes without holding the head row. A wait for a
-- head row therefore never closes a cycle, with one exception: a
-- transaction that changed two accounts' records would take two head rows
-- in whatever order its changes came, and two such could each hold the
-- other's. The trigger refuses that transaction outright (one account per
-- transaction; server recovery ends each stranded reply in a transaction
-- of its own). Nothing may `SET CONSTRAINTS … IMMEDIATE` these triggers.
--
-- After a change commits, the account's subscribers are woken through
-- NOTIFY account_changes with the payload '<position>:<user id>' (never
-- any content); a notification is delivered only at commit, and only if
-- the transaction commits.
--
-- Cheap by design: one row-level trigger call per changed record, a few
-- statements inside the database and no round trip. Updates that change
-- nothing a device keeps are not fed: the message count and activity
-- time a message insert bumps on its session (devices derive both from
-- the messages, as the desktop's own schema does). The streaming text of
-- replies (chat_reply_chunks) is not part of the feed.

-- Nothing else writes these tables while the triggers are created and the
-- feed is filled from what exists, so no change falls in between.
LOCK TABLE users, chat_sessions, chat_messages, projects, tasks, project_sources,
    credit_transactions IN SHARE ROW EXCLUSIVE MODE;

-- Each account's last position (0: nothing yet).
CREATE TABLE account_change_heads (
    user_id   TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    position  BIGINT NOT NULL CHECK (position >= 0)
);

-- The feed: each record's latest change.
CREATE TABLE account_changes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL
               CHECK (kind IN ('session', 'message', 'project', 'task', 'page', 'ledger')),
    entity_id  BIGINT NOT NULL,
    position   BIGINT NOT NULL CHECK (position > 0),
    op         TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    PRIMARY KEY (user_id, kind, entity_id)
);
CREATE UNIQUE INDEX account_changes_by_position ON account_changes(user_id, position);

-- An account's head row exists from its creation on.
CREATE FUNCTION account_change_heads_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_change_heads (user_id, position) VALUES (NEW.id, 0);
    RETURN NULL;
END $$;
CREATE TRIGGER users_open_change_feed AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION account_change_heads_open();

-- Notes one changed record (kind: TG_ARGV[0]) in its account's feed. Runs
-- at commit (see the triggers below), so NEW/OLD are the row as the change
-- left it and the record itself is read by the puller, as it is then.
CREATE FUNCTION account_changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change_kind    TEXT := TG_ARGV[0];
    row_user       TEXT;
    row_id         BIGINT;
    account        TEXT;
    parent_gone    BOOLEAN := false;
    next_position  BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_user := OLD.user_id;
        row_id := OLD.id;
    ELSE
        row_user := NEW.user_id;
        row_id := NEW.id;
    END IF;

    -- One account per transaction (see the lock argument above).
    account := current_setting('banter.change_feed_account', true);
    IF account IS NULL OR account = '' THEN
        PERFORM set_config('banter.change_feed_account', row_user, true);
    ELSIF account <> row_user THEN
        RAISE EXCEPTION 'one transaction changed the records of two accounts'
            USING HINT = 'the change feed locks one account''s position per transaction; '
                         'change each account in a transaction of its own';
    END IF;

    -- A child deleted with its parent: its row goes, the parent's
    -- tombstone stands for it. (Separate branches: each reads a column
    -- only its own table has.)
    IF TG_OP = 'DELETE' THEN
        IF change_kind = 'message' THEN
            parent_gone := NOT EXISTS (SELECT 1 FROM chat_sessions WHERE id = OLD.session_id);
        ELSIF change_kind IN ('task', 'page') THEN
            parent_gone := NOT EXISTS (SELECT 1 FROM projects WHERE id = OLD.project_id);
        END IF;
    END IF;
    IF parent_gone THEN
        -- Still under the head row's lock: only its holder writes the feed.
        PERFORM 1 FROM account_change_heads WHERE user_id = row_user FOR UPDATE;
        DELETE FROM account_changes
         WHERE user_id = row_user AND kind = change_kind AND entity_id = row_id;
        RETURN NULL;
    END IF;

    -- The account's next position; the row stays locked until commit.
    UPDATE account_change_heads SET position = position + 1
     WHERE user_id = row_user
    RETURNING position INTO next_position;
    IF NOT FOUND THEN
        -- The account itself was deleted by this transaction.
        RETURN NULL;
    END IF;
    INSERT INTO account_changes (user_id, kind, entity_id, position, op)
    VALUES (row_user, change_kind, row_id, next_position,
            CASE WHEN TG_OP = 'DELETE' THEN 'delete' ELSE 'upsert' END)
    ON CONFLICT (user_id, kind, entity_id)
    DO UPDATE SET position = EXCLUDED.position, op = EXCLUDED.op;
    PERFORM pg_notify('account_changes', next_position || ':' || row_user);
    RETURN NULL;
END $$;

-- Sessions: created, renamed or named, deleted. Not the message count and
-- activity time a message insert or delete moves (chat_messages_count).
CREATE CONSTRAINT TRIGGER chat_sessions_change_feed
    AFTER INSERT OR DELETE ON chat_sessions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION account_changes_note('session');
CREATE CONSTRAINT TRIGGER chat_sessions_change_feed_update
    AFTER UPDATE ON chat_sessions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.message_count = NEW.message_count)
    EXECUTE FUNCTION account_changes_note('session');
CREATE CONSTRAINT TRIGGER chat_messages_change_feed
    AFTER INSERT OR UPDATE OR DELETE ON chat_messages DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION account_changes_note('message');
CREATE CONSTRAINT TRIGGER projects_change_feed
    AFTER INSERT OR UPDATE OR DELETE ON projects DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION account_changes_note('project');
CREATE CONSTRAINT TRIGGER tasks_change_feed
    AFTER INSERT OR UPDATE OR DELETE ON tasks DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION account_changes_note('task');
CREATE CONSTRAINT TRIGGER project_sources_change_feed
    AFTER INSERT OR UPDATE OR DELETE ON project_sources DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION account_changes_note('page');
-- The ledger is append-only: rows are only ever inserted.
CREATE CONSTRAINT TRIGGER credit_transactions_change_feed
    AFTER INSERT ON credit_transactions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION account_changes_note('ledger');

-- What exists already: every account's head row, and each record once,
-- parents before children, then the ledger in its order.
INSERT INTO account_change_heads (user_id, position) SELECT id, 0 FROM users;
INSERT INTO account_changes (user_id, kind, entity_id, position, op)
SELECT user_id, kind, entity_id,
       row_number() OVER (PARTITION BY user_id ORDER BY rank, entity_id), 'upsert'
  FROM (SELECT user_id, 'session' AS kind, id AS entity_id, 1 AS rank FROM chat_sessions
        UNION ALL SELECT user_id, 'project', id, 2 FROM projects
        UNION ALL SELECT user_id, 'task', id, 3 FROM tasks
        UNION ALL SELECT user_id, 'page', id, 4 FROM project_sources
        UNION ALL SELECT user_id, 'message', id, 5 FROM chat_messages
        UNION ALL SELECT user_id, 'ledger', id, 6 FROM credit_transactions) AS existing;
UPDATE account_change_heads h
   SET position = fed.last
  FROM (SELECT user_id, MAX(position) AS last FROM account_changes GROUP BY user_id) AS fed
 WHERE h.user_id = fed.user_id;
