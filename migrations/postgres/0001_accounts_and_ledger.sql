-- banter-server's schema, part 1: accounts, devices and the credit ledger.
-- The same tables and rules as the desktop's SQLite (migrations/0001…0007),
-- written for Postgres: several server instances share one database, so
-- every rule that SQLite gets from its single writer is a constraint, a
-- trigger or a row lock here. Forward-only; applied at server start under
-- sqlx's advisory lock, so two instances never migrate at once.

-- An account. `id` (a UUID) is also the Autumn customer_id.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    email         TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Who signed in: an OpenID Connect issuer and its subject (`sub`) name one
-- account, whichever device they sign in from.
CREATE TABLE identities (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_by_user ON identities(user_id);

-- A signed-in device (an app install or a CLI). Revoking it ends every token
-- it holds at once: tokens are checked against this row on each request.
CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    revoked_why   TEXT
);
CREATE INDEX devices_by_user ON devices(user_id, created_at);

-- Short-lived access tokens, stored as SHA-256 hashes (a leaked database
-- holds no usable token).
CREATE TABLE access_tokens (
    token_hash  TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX access_tokens_by_device ON access_tokens(device_id);

-- Rotating refresh tokens: using one marks it used and issues the next; a
-- used token presented again means it was copied, and revokes the device.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_by_device ON refresh_tokens(device_id);

-- The two credit buckets and the period bookkeeping, moved only by the
-- credit_transactions_apply trigger (pro_until excepted).
CREATE TABLE user_usage (
    user_id             TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    free_remaining      BIGINT NOT NULL CHECK (free_remaining >= 0),
    purchased_remaining BIGINT NOT NULL CHECK (purchased_remaining >= 0),
    credits_remaining   BIGINT GENERATED ALWAYS AS (free_remaining + purchased_remaining) STORED,
    credits_total       BIGINT NOT NULL CHECK (credits_total >= 0),
    last_credit_reset   TIMESTAMPTZ NOT NULL,
    pro_until           TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL
);

-- The append-only credit ledger; the rows sum to the balance.
CREATE TABLE credit_transactions (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users(id),
    kind                 TEXT NOT NULL
                         CHECK (kind IN ('signup_grant', 'monthly_reset', 'spend', 'refund', 'purchase')),
    action               TEXT CHECK (action IN ('chat_message', 'project_generation', 'url_scrape')),
    amount               BIGINT NOT NULL,
    free_delta           BIGINT NOT NULL,
    purchased_delta      BIGINT NOT NULL,
    nominal_cost         BIGINT,
    balance_after        BIGINT NOT NULL CHECK (balance_after >= 0),
    reference            TEXT,
    refund_of            BIGINT REFERENCES credit_transactions(id),
    idempotency_key      TEXT NOT NULL UNIQUE,
    request_fingerprint  TEXT CHECK (request_fingerprint IS NULL OR length(request_fingerprint) = 64),
    created_at           TIMESTAMPTZ NOT NULL,
    CHECK (amount = free_delta + purchased_delta)
);
CREATE INDEX credit_transactions_by_user ON credit_transactions(user_id, id);
CREATE UNIQUE INDEX credit_transactions_refund_once ON credit_transactions(refund_of)
    WHERE refund_of IS NOT NULL;

-- Each new row applies its deltas to user_usage; the CHECKs there refuse an
-- overdraft, and a row whose balance_after disagrees aborts.
CREATE FUNCTION credit_transactions_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    after BIGINT;
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
     WHERE user_id = NEW.user_id
     RETURNING free_remaining + purchased_remaining INTO after;
    IF after IS DISTINCT FROM NEW.balance_after THEN
        RAISE EXCEPTION 'ledger row does not match the balance';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER credit_transactions_apply AFTER INSERT ON credit_transactions
    FOR EACH ROW EXECUTE FUNCTION credit_transactions_apply();

CREATE FUNCTION credit_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_transactions is append-only';
END $$;
CREATE TRIGGER credit_transactions_no_update BEFORE UPDATE OR DELETE ON credit_transactions
    FOR EACH ROW EXECUTE FUNCTION credit_transactions_append_only();
CREATE TRIGGER credit_transactions_no_truncate BEFORE TRUNCATE ON credit_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION credit_transactions_append_only();

-- Checkouts an account opened (credits come only from paid invoices, keyed
-- by the Stripe invoice id in credit_transactions.idempotency_key).
CREATE TABLE purchase_checkouts (
    reference   TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    product     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'fulfilled', 'cancelled', 'expired')),
    invoice_id  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX purchase_checkouts_by_user_and_status ON purchase_checkouts(user_id, status, created_at);

-- Autumn webhooks already handled, by `svix-id` (stable across redelivery).
CREATE TABLE processed_webhooks (
    svix_id      TEXT PRIMARY KEY,
    event_type   TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL
);
