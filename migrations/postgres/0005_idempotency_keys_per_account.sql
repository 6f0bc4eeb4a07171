-- An idempotency key names one request of one account: two accounts that
-- happen to choose the same key (two users' scripts both passing
-- `--idempotency-key nightly-1`) make two requests, not a conflict. The
-- ledger looks keys up per account (core `ledger/postgres_rows.rs`).
ALTER TABLE credit_transactions DROP CONSTRAINT credit_transactions_idempotency_key_key;
ALTER TABLE credit_transactions
    ADD CONSTRAINT credit_transactions_user_key UNIQUE (user_id, idempotency_key);
-- A Stripe invoice grants credits once, whichever account it names (its
-- key is the invoice id).
CREATE UNIQUE INDEX credit_transactions_purchase_once ON credit_transactions (idempotency_key)
    WHERE kind = 'purchase';
