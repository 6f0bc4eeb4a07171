-- Wake-ups leave the writers' transactions. Until now the feed's note
-- (0007_cheaper_change_feed.sql) ran NOTIFY in every transaction that
-- changed an account's records, three per chat send. A transaction that
-- has notified takes one lock for the whole database cluster while it
-- commits, so every such commit waits for the one before: measured with
-- pgbench on the statements of a send, 16 clients on this 2-core machine,
-- 724 sends/s with the notifications against 1,144 without (1,224 with
-- no feed at all); the notes themselves cost little. (docs/benchmarks.md,
-- "Sync across devices", has the figures.)
--
-- Now a transaction's first change leaves its account in
-- account_change_wakes (one row per account waiting to be woken; an
-- UPSERT, no cluster-wide lock), and each server instance announces the
-- waiting accounts every few milliseconds in one transaction of its own:
-- it takes the rows and notifies the same channel with the same payload
-- ('<position>:<user id>', crate `banter-server`, changes::wakes).
--
-- Nothing is missed: a wake row is written by the transaction whose
-- changes it announces, so it is seen exactly when they are; an announcer
-- takes a row and notifies in one transaction, so a row is gone only once
-- its notification is sent. Rows a writer holds are skipped and taken at
-- the next round. The table is UNLOGGED (no WAL for a row that lives
-- milliseconds): after a crash of Postgres it is empty, and every
-- instance's listener lost its connection too, so on reconnecting each
-- reads the position of every account it has subscribers for
-- (server/src/listener.rs, catch_up) — what a lost wake would have said.
--
-- Lock order: a writer holds its account's lock row (0007) and then its
-- wake row; an announcer locks wake rows only, skipping any a writer
-- holds, so neither ever waits for the other in a cycle.

CREATE UNLOGGED TABLE account_change_wakes (
    user_id   TEXT COLLATE "C" PRIMARY KEY,
    position  BIGINT NOT NULL
);

-- The note as in 0007, with the wake row instead of NOTIFY.
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

    -- The account is left to be woken, once per transaction: the position
    -- is the transaction's first (a pull after it gets the rest). A wake
    -- not yet announced keeps the latest first position.
    IF first_change THEN
        INSERT INTO account_change_wakes (user_id, position)
        VALUES (row_user, noted_at)
        ON CONFLICT (user_id)
        DO UPDATE SET position = GREATEST(account_change_wakes.position, EXCLUDED.position);
    END IF;
    RETURN NULL;
END $$;
