-- A cheaper change feed, same promises (0006_change_feed.sql states them:
-- each record's latest change once, positions that never let a reader
-- miss a later commit, no new deadlock, one account per transaction).
-- What changes, and why (the feed runs six times per chat send):
--
-- * Positions: a transaction's first change locks the account's row in
--   account_change_locks (FOR UPDATE, held until the transaction ends), and
--   each change then takes the next value of one sequence,
--   account_change_positions. An account's values are only asked for under
--   its lock, so its positions increase in the order its transactions
--   commit (increasing, no longer consecutive), and a reader that has seen
--   position q never misses a change that commits later with a smaller
--   one. This replaces the per-account counter row (account_change_heads),
--   which took an UPDATE per change; now a change is one statement (its
--   feed row) and the lock one per transaction.
-- * The feed's rows are keyed by (kind, entity_id) (row ids are unique per
--   table), with byte-wise ("C") text keys, and carry no CHECK or foreign
--   key: Postgres evaluates those on every write, and the trigger's
--   constants are the only values ever written. (Accounts are never
--   deleted: their ledger rows refer to them.)
-- * Subscribers are woken once per transaction (NOTIFY account_changes,
--   payload '<position>:<user id>' with the transaction's first position —
--   a pull after it gets the rest), not once per change.
--
-- The lock argument of 0006 holds with "lock row" for "head row": the
-- lock is taken by the same deferred constraint triggers, at commit, as
-- the last lock a transaction takes, and only its holder writes the
-- account's feed rows.
--
-- Existing positions are kept (each account's were 1, 2, 3…), and the
-- sequence starts after the largest of all, so every new position is
-- after any cursor a device holds.

LOCK TABLE users, chat_sessions, chat_messages, projects, tasks, project_sources,
    credit_transactions IN SHARE ROW EXCLUSIVE MODE;
LOCK TABLE account_changes, account_change_heads IN ACCESS EXCLUSIVE MODE;

-- Every account's positions (CACHE 1, the default: values in the order
-- they are asked for).
CREATE SEQUENCE account_change_positions;

-- One row per account: a transaction's first change locks it until commit.
CREATE TABLE account_change_locks (
    user_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE
);
INSERT INTO account_change_locks (user_id) SELECT id FROM users;

-- The feed: each record's latest change — kind 'session', 'message',
-- 'project', 'task', 'page' or 'ledger', op 'upsert' or 'delete'. Written
-- only by account_changes_note below.
CREATE TABLE account_changes_by_record (
    kind       TEXT COLLATE "C" NOT NULL,
    entity_id  BIGINT NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    position   BIGINT NOT NULL,
    op         TEXT NOT NULL,
    CONSTRAINT account_changes_by_record_key PRIMARY KEY (kind, entity_id)
);
INSERT INTO account_changes_by_record (kind, entity_id, user_id, position, op)
SELECT kind, entity_id, user_id, position, op FROM account_changes;
DROP TABLE account_changes;
ALTER TABLE account_changes_by_record RENAME TO account_changes;
ALTER TABLE account_changes RENAME CONSTRAINT account_changes_by_record_key TO account_changes_pkey;
CREATE UNIQUE INDEX account_changes_by_position ON account_changes(user_id, position);
SELECT setval('account_change_positions',
              COALESCE((SELECT max(position) FROM account_changes), 1),
              EXISTS (SELECT 1 FROM account_changes));

-- An account's lock row exists from its creation on.
DROP TRIGGER users_open_change_feed ON users;
DROP FUNCTION account_change_heads_open();
DROP TABLE account_change_heads;
CREATE FUNCTION account_change_locks_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_change_locks (user_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER users_open_change_feed AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION account_change_locks_open();

-- The note itself (the triggers of 0006 call it by name and stay as they
-- are): runs at commit, so the record is read by the puller as it is then.
CREATE OR REPLACE FUNCTION account_changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
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
    -- others must be the same account's (see the lock argument in 0006).
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
