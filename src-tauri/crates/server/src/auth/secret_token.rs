//! Opaque bearer tokens: 32 random bytes from the operating system, with a
//! prefix that says what a token is (so a leaked one is recognisable in a
//! log or a secret scanner). Only SHA-256 hashes are stored, so the
//! database alone holds no usable token.

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Access tokens start with this.
pub const ACCESS_PREFIX: &str = "bat_";
/// Refresh tokens start with this.
pub const REFRESH_PREFIX: &str = "brt_";
/// Random bytes per token.
const TOKEN_BYTES: usize = 32;

/// A new token with `prefix`.
pub fn generate(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

/// What the database keeps of a token.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_hashed_to_64_hex_characters() {
        let a = generate(ACCESS_PREFIX).unwrap();
        let b = generate(ACCESS_PREFIX).unwrap();
        assert!(a.starts_with(ACCESS_PREFIX) && a.len() == ACCESS_PREFIX.len() + 64);
        assert_ne!(a, b);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&a.clone()));
    }
}
