-- Checkouts the user opened, so a purchase whose return link never arrives
-- is still looked for (at start-up and while one is pending). Credits are
-- never granted from this table: only from invoices Autumn reports as paid,
-- keyed by the Stripe invoice id in credit_transactions.idempotency_key.
CREATE TABLE purchase_checkouts (
    reference   TEXT PRIMARY KEY NOT NULL,          -- ours; the `ref` of the return link
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    product     TEXT NOT NULL,                      -- Autumn's product id
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'fulfilled', 'cancelled', 'expired')),
    invoice_id  TEXT,                               -- the Stripe invoice that fulfilled it
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX purchase_checkouts_by_user_and_status ON purchase_checkouts(user_id, status, created_at);
