//! Idempotency keys: what a paid request carries so that a retry of it is
//! charged once (the ledger binds a key to the request it first paid for,
//! see [`crate::ledger::fingerprint`]). Callers may bring their own key (the
//! CLI's `--idempotency-key`, a script retrying); every key Banter makes
//! itself — the desktop's, the CLI's, the hosted client's — comes from here.

/// A fresh key: a random (version 4) UUID in its hyphenated lowercase form,
/// e.g. `67e55044-10b1-4a6f-9247-bb680e5fe0c8`. 122 random bits, so no two
/// requests share one by chance.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The caller's `key`, or a [`new_key`] when it brought none.
pub fn key_or_new(key: Option<String>) -> String {
    key.unwrap_or_else(new_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_a_random_hyphenated_uuid() {
        let key = new_key();
        let parsed = uuid::Uuid::parse_str(&key).unwrap();
        assert_eq!(parsed.get_version(), Some(uuid::Version::Random));
        assert_eq!(key, parsed.hyphenated().to_string());
        assert_ne!(new_key(), key);
    }

    #[test]
    fn a_callers_key_is_kept() {
        assert_eq!(key_or_new(Some("retry-7".into())), "retry-7");
        assert_ne!(key_or_new(None), key_or_new(None));
    }
}
