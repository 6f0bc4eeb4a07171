-- The change feed: every change to an account's chat sessions, messages,
-- projects, tasks, saved pages (project_sources) and ledger entries
-- (credit_transactions) gets a position in a feed of that account, which
-- devices read by cursor (`GET /v1/changes?after=…`) to keep their copies.
--
-- Shape: one row per changed record, (kind, entity_id) unique (row ids are
-- unique per table), moved to a new position on each change, and kept as
-- a tombstone (op 'delete') once the record is deleted. So the table holds
-- one row per record an account ever had, and a pull gets each record's
-- latest state once. Records deleted with their parent (a session's
-- messages, a project's tasks and saved pages) leave no tombstone of their
-- own: their rows are dropped, and the parent's tombstone stands for them.
--
-- Positions: a transaction's first change locks the account's row in
-- account_change_locks (FOR UPDATE, held until the transaction ends), and
-- each change then takes the next value of one sequence,
-- account_change_positions. Values come out of a sequence in the order
-- they are asked for, and an account's are only asked for under its lock,
-- so one account's positions increase in the order its transactions
-- commit: one that would take a later position waits until the one
-- before it has committed (or rolled back). A reader that has seen
-- position q and asks for what comes after q can therefore never miss a
-- change that commits later with a smaller position. (A sequence alone
-- would not do: a later transaction could commit a larger position first,
-- and a reader that passed it would never look back.) Positions are
-- increasing per account, not consecutive.
--
-- No new deadlock: the lock is taken by deferred constraint triggers
-- (DEFERRABLE INITIALLY DEFERRED), which run at commit, after every
-- statement of the transaction. So the account's lock row is the last
-- lock a transaction takes: whoever holds it is committing and waits for
-- no row another transaction holds — not the buckets (user_usage, locked
-- first by paying), not a session (lock_for_reply), not a message, a
-- project or a display-id counter. After it the trigger only writes the
-- same account's feed rows, which nobody writes without holding the lock
-- row. A wait for a lock row therefore never closes a cycle (the lock
-- Postgres takes to queue a NOTIFY comes after all triggers, at the very
-- end of the commit, and its holder waits for nothing), with one
-- exception: a transaction that changed two accounts' records would take
-- two lock rows in whatever order its changes came, and two such could
-- each hold the other's. The trigger refuses that transaction outright
-- (one account per transaction; server recovery ends each stranded reply
-- in a transaction of its own). Nothing may `SET CONSTRAINTS … IMMEDIATE`
-- these triggers.
--
-- After a transaction that changed an account's records commits, the
-- account's subscribers are woken through NOTIFY account_changes, once per
-- transaction, with the payload '<position>:<user id>' — the first
-- position the transaction took (a pull after it gets the rest), never any
-- content. A notification is delivered only at commit, and only if the
-- transaction commits.
--
-- Cheap by design (it runs six times per chat send): no round trip, one
-- row-level trigger call per changed record with one statement in it (the
-- feed row; the lock once per transaction), no CHECK or foreign key on
-- the feed's table (Postgres evaluates those on every write), and byte-wise
-- ("C") comparison of its text keys. Updates that change nothing a device
-- keeps are not fed: the message count and activity time a message insert
-- bumps on its session (devices derive both from the messages, as the
-- desktop's own schema does). The streaming text of replies
-- (chat_reply_chunks) is not part of the feed.

-- Nothing else writes these tables while the triggers are created and the
-- feed is filled from what exists, so no change falls in between.
LOCK TABLE users, chat_sessions, chat_messages, projects, tasks, project_sources,
    credit_transactions IN SHARE ROW EXCLUSIVE MODE;

-- Every account's positions (CACHE 1, the default: values in the order
-- they are asked for).
CREATE SEQUENCE account_change_positions;

-- One row per account: a transaction's first change locks it until commit.
CREATE TABLE account_change_locks (
    user_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE
);

-- The feed: each record's latest change — kind 'session', 'message',
-- 'project', 'task', 'page' or 'ledger', op 'upsert' or 'delete'. Written
-- only by account_changes_note below; no CHECK or foreign key (see above),
-- the trigger's constants are the only values. (Accounts are never
-- deleted: their ledger rows refer to them.)
CREATE TABLE account_changes (
    kind       TEXT COLLATE "C" NOT NULL,
    entity_id  BIGINT NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    position   BIGINT NOT NULL,
    op         TEXT NOT NULL,
    PRIMARY KEY (kind, entity_id)
);
CREATE UNIQUE INDEX account_changes_by_position ON account_changes(user_id, position);

-- An account's lock row exists from its creation on.
CREATE FUNCTION account_change_locks_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_change_locks (user_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER users_open_change_feed AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION account_change_locks_open();

-- Notes one changed record (kind: TG_ARGV[0]) in its account's feed. Runs
-- at commit (see the triggers below), so the record itself is read by the
-- puller, as it is then.
CREATE FUNCTION account_changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change_kind    TEXT := TG_ARGV[0];
    row_user       TEXT;
    row_id         BIGINT;
    account        TEXT;
    first_change   BOOLEAN;
    parent_gone    BOOLEAN := false;
    noted_at       BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_user := OLD.user_id;
        row_id := OLD.id;
    ELSE
        row_user := NEW.user_id;
        row_id := NEW.id;
    END IF;

    -- The transaction's first change locks the account until commit; the
    -- others must be the same account's (see the lock argument above).
    account := current_setting('banter.change_feed_account', true);
    first_change := account IS NULL OR account = '';
    IF first_change THEN
        PERFORM 1 FROM account_change_locks WHERE user_id = row_user FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account % has no change feed lock row', row_user;
        END IF;
        PERFORM set_config('banter.change_feed_account', row_user, true);
    ELSIF account <> row_user THEN
        RAISE EXCEPTION 'one transaction changed the records of two accounts'
            USING HINT = 'the change feed locks one account per transaction; '
                         'change each account in a transaction of its own';
    END IF;

    IF TG_OP = 'INSERT' THEN
        -- A new record (row ids are never reused): its first feed row.
        noted_at := nextval('account_change_positions');
        INSERT INTO account_changes (kind, entity_id, user_id, position, op)
        VALUES (change_kind, row_id, row_user, noted_at, 'upsert');
    ELSE
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
            DELETE FROM account_changes WHERE kind = change_kind AND entity_id = row_id;
            IF first_change THEN
                -- Something to announce all the same.
                noted_at := nextval('account_change_positions');
            END IF;
        ELSE
            -- Changed or deleted: the record's row moves to a new position
            -- (a delete leaves it as a tombstone).
            noted_at := nextval('account_change_positions');
            INSERT INTO account_changes (kind, entity_id, user_id, position, op)
            VALUES (change_kind, row_id, row_user, noted_at,
                    CASE WHEN TG_OP = 'DELETE' THEN 'delete' ELSE 'upsert' END)
            ON CONFLICT (kind, entity_id)
            DO UPDATE SET position = EXCLUDED.position, op = EXCLUDED.op;
        END IF;
    END IF;

    -- Subscribers are woken once per transaction, at commit: the position
    -- is the transaction's first (a pull after it gets the rest).
    IF first_change THEN
        PERFORM pg_notify('account_changes', noted_at || ':' || row_user);
    END IF;
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

-- What exists already: every account's lock row, and each record once,
-- account by account, parents before children, then the ledger in its
-- order; the sequence goes on from there.
INSERT INTO account_change_locks (user_id) SELECT id FROM users;
INSERT INTO account_changes (kind, entity_id, user_id, position, op)
SELECT kind, entity_id, user_id,
       row_number() OVER (ORDER BY user_id COLLATE "C", rank, entity_id), 'upsert'
  FROM (SELECT user_id, 'session' AS kind, id AS entity_id, 1 AS rank FROM chat_sessions
        UNION ALL SELECT user_id, 'project', id, 2 FROM projects
        UNION ALL SELECT user_id, 'task', id, 3 FROM tasks
        UNION ALL SELECT user_id, 'page', id, 4 FROM project_sources
        UNION ALL SELECT user_id, 'message', id, 5 FROM chat_messages
        UNION ALL SELECT user_id, 'ledger', id, 6 FROM credit_transactions) AS existing;
SELECT setval('account_change_positions',
              COALESCE((SELECT max(position) FROM account_changes), 1),
              EXISTS (SELECT 1 FROM account_changes));
