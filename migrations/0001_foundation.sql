-- Banter foundation schema: the local profile, the credit ledger, display-id
-- counters, chat sessions/messages, projects and tasks.
-- Timestamps are RFC 3339 UTC strings with fixed width (so they sort as text).

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,          -- UUID; also the Autumn customer_id
    display_name  TEXT NOT NULL,
    email         TEXT,
    created_at    TEXT NOT NULL
);

-- One row per user: the two credit buckets and the period bookkeeping, kept
-- by the credit_transactions_apply trigger below (never written directly,
-- except pro_until). credits_remaining is derived from the buckets.
CREATE TABLE user_usage (
    user_id             TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    free_remaining      INTEGER NOT NULL CHECK (free_remaining >= 0),
    purchased_remaining INTEGER NOT NULL CHECK (purchased_remaining >= 0),
    credits_remaining   INTEGER GENERATED ALWAYS AS (free_remaining + purchased_remaining) STORED,
    credits_total       INTEGER NOT NULL CHECK (credits_total >= 0),
    last_credit_reset   TEXT NOT NULL,
    pro_until           TEXT,                         -- Pro is active while now < pro_until
    updated_at          TEXT NOT NULL
);

-- The append-only credit ledger. amount = free_delta + purchased_delta, and the
-- sum of amount over a user's rows equals their balance (verified by the core).
CREATE TABLE credit_transactions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          TEXT NOT NULL REFERENCES users(id),
    kind             TEXT NOT NULL CHECK (kind IN ('signup_grant', 'monthly_reset', 'spend', 'refund', 'purchase')),
    action           TEXT CHECK (action IN ('chat_message', 'project_generation', 'url_scrape')),
    amount           INTEGER NOT NULL,
    free_delta       INTEGER NOT NULL,
    purchased_delta  INTEGER NOT NULL,
    nominal_cost     INTEGER,                         -- what the action costs on the free plan
    balance_after    INTEGER NOT NULL CHECK (balance_after >= 0),
    reference        TEXT,                            -- what it paid for (message id, purchase id, ...)
    refund_of        INTEGER REFERENCES credit_transactions(id),
    idempotency_key  TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    CHECK (amount = free_delta + purchased_delta)
);
CREATE INDEX credit_transactions_by_user ON credit_transactions(user_id, id);
-- A spend is refunded at most once; partial, so spends add no index entry.
CREATE UNIQUE INDEX credit_transactions_refund_once ON credit_transactions(refund_of)
    WHERE refund_of IS NOT NULL;

-- The buckets move only through the ledger: each new row applies its deltas
-- to user_usage. The CHECK constraints there reject a row that would
-- overdraw, and a row whose balance_after disagrees with the result aborts.
CREATE TRIGGER credit_transactions_apply AFTER INSERT ON credit_transactions
BEGIN
    UPDATE user_usage
       SET free_remaining = free_remaining + NEW.free_delta,
           purchased_remaining = purchased_remaining + NEW.purchased_delta,
           credits_total = CASE
               WHEN NEW.kind IN ('signup_grant', 'monthly_reset') THEN NEW.balance_after
               WHEN NEW.kind = 'purchase' THEN credits_total + NEW.purchased_delta
               ELSE credits_total END,
           last_credit_reset = CASE
               WHEN NEW.kind IN ('signup_grant', 'monthly_reset') THEN NEW.created_at
               ELSE last_credit_reset END,
           updated_at = NEW.created_at
     WHERE user_id = NEW.user_id;
    SELECT RAISE(ABORT, 'ledger row does not match the balance')
     WHERE NEW.balance_after IS NOT
           (SELECT free_remaining + purchased_remaining FROM user_usage WHERE user_id = NEW.user_id);
END;

CREATE TRIGGER credit_transactions_no_update BEFORE UPDATE ON credit_transactions
BEGIN SELECT RAISE(ABORT, 'credit_transactions is append-only'); END;
CREATE TRIGGER credit_transactions_no_delete BEFORE DELETE ON credit_transactions
BEGIN SELECT RAISE(ABORT, 'credit_transactions is append-only'); END;

-- Display-id counters: CH (chat sessions), PR (projects), TK (tasks).
CREATE TABLE counters (
    name   TEXT PRIMARY KEY NOT NULL,
    value  INTEGER NOT NULL
);

CREATE TABLE chat_sessions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_id     TEXT NOT NULL UNIQUE,
    title          TEXT,                              -- NULL until the first message names it
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    message_count  INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0)
);
CREATE INDEX chat_sessions_by_user_id ON chat_sessions(user_id);
CREATE INDEX chat_sessions_by_display_id ON chat_sessions(display_id);
CREATE INDEX chat_sessions_by_user_id_and_updated_at ON chat_sessions(user_id, updated_at DESC, id DESC);

CREATE TABLE chat_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id    INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content       TEXT NOT NULL,
    tokens        INTEGER,
    credits_used  INTEGER NOT NULL DEFAULT 0 CHECK (credits_used >= 0),
    status        TEXT NOT NULL DEFAULT 'complete'
                  CHECK (status IN ('complete', 'streaming', 'interrupted', 'stopped', 'filtered', 'error')),
    error         TEXT,
    spend_id      INTEGER REFERENCES credit_transactions(id),  -- the ledger row that paid for it
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX chat_messages_by_session_id ON chat_messages(session_id, id);
CREATE INDEX chat_messages_by_user_id ON chat_messages(user_id);
CREATE INDEX chat_messages_by_status ON chat_messages(status) WHERE status = 'streaming';

-- message_count and updated_at follow the messages, whoever writes them.
CREATE TRIGGER chat_messages_count_insert AFTER INSERT ON chat_messages
BEGIN
    UPDATE chat_sessions
       SET message_count = message_count + 1,
           updated_at = MAX(updated_at, NEW.created_at)
     WHERE id = NEW.session_id;
END;
CREATE TRIGGER chat_messages_count_delete AFTER DELETE ON chat_messages
BEGIN
    UPDATE chat_sessions SET message_count = message_count - 1 WHERE id = OLD.session_id;
END;

CREATE TABLE projects (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_id   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX projects_by_user_id_and_updated_at ON projects(user_id, updated_at DESC, id DESC);

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_id   TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    priority     TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    due_date     TEXT,                                -- YYYY-MM-DD
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX tasks_by_project_id ON tasks(project_id, id);
CREATE INDEX tasks_by_user_id_and_status ON tasks(user_id, status, updated_at DESC);
