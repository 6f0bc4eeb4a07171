//! The secrets of one sign-in attempt: the PKCE verifier and its S256
//! challenge (RFC 7636), the `state` that ties the redirect to the attempt
//! and the `nonce` that ties the ID token to it. All come from the OS
//! random generator and are base64url without padding, which is exactly
//! RFC 7636's unreserved alphabet.

use super::error::{AccountError, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;

/// Random bytes behind a verifier: 32 bytes are 43 base64url characters,
/// RFC 7636's minimum length, with 256 bits of entropy.
pub const VERIFIER_BYTES: usize = 32;
/// RFC 7636 §4.1: a verifier has 43 to 128 characters.
pub const MIN_VERIFIER_CHARS: usize = 43;
pub const MAX_VERIFIER_CHARS: usize = 128;
/// Random bytes behind `state` and `nonce` (43 characters each).
pub const STATE_BYTES: usize = 32;
pub const NONCE_BYTES: usize = 32;

/// `bytes` from the OS generator as base64url without padding.
pub fn random_value(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| AccountError::Local(format!("the OS random generator failed: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The S256 challenge of `verifier`: base64url(SHA-256(verifier)).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` has RFC 7636's length and alphabet
/// (`[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`).
pub fn is_valid_verifier(verifier: &str) -> bool {
    (MIN_VERIFIER_CHARS..=MAX_VERIFIER_CHARS).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// A PKCE pair. The verifier stays with the client until the code
/// exchange; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

impl Pkce {
    pub fn generate() -> Result<Self> {
        let verifier = random_value(VERIFIER_BYTES)?;
        Ok(Self {
            challenge: s256_challenge(&verifier),
            verifier,
        })
    }

    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"<redacted>")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_follow_rfc_7636_and_never_repeat() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert!(is_valid_verifier(a.verifier()), "{}", a.verifier().len());
        assert_eq!(a.verifier().len(), MIN_VERIFIER_CHARS);
        assert_ne!(a.verifier(), b.verifier());
        assert_eq!(a.challenge(), s256_challenge(a.verifier()));
        assert!(!format!("{a:?}").contains(a.verifier()));
    }

    #[test]
    fn the_s256_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_shape_is_checked() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
