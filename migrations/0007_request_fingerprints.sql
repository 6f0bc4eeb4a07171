-- Idempotency keys are bound to their request: a spend row records a SHA-256
-- fingerprint of the request it paid for (action and content; see
-- src-tauri/crates/core/src/ledger/fingerprint.rs). A retry with the same key
-- must carry the same fingerprint, or it is refused as idempotency_conflict.
-- Rows written before this migration have no fingerprint (NULL) and keep the
-- earlier rule: the same key and action replay the first result.
ALTER TABLE credit_transactions ADD COLUMN request_fingerprint TEXT
    CHECK (request_fingerprint IS NULL OR length(request_fingerprint) = 64);
