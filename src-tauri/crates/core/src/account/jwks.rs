//! The provider's signing keys (its JWKS), cached. A token whose `kid` is
//! not in the cache makes exactly one refetch — the provider may have
//! rotated its keys — and is refused if the key is still unknown.
//!
//! The tokens checked here come from the provider's own token endpoint,
//! not from a client, so an unknown `kid` cannot be used to make Banter
//! hammer the provider.

use super::error::{AccountError, Result};
use super::http;
use jsonwebtoken::DecodingKey;
use reqwest::Url;
use serde::Deserialize;
use std::collections::HashMap;
use tokio::sync::Mutex;

#[derive(Debug, Deserialize)]
struct KeySet {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// The RSA keys of one fetch, by `kid` (`None` for a key without one).
#[derive(Default)]
struct Keys {
    by_kid: HashMap<Option<String>, DecodingKey>,
}

impl Keys {
    /// The key for `kid`; a token without a `kid` may use the only key.
    fn find(&self, kid: Option<&str>) -> Option<DecodingKey> {
        match kid {
            Some(kid) => self.by_kid.get(&Some(kid.to_string())).cloned(),
            None if self.by_kid.len() == 1 => self.by_kid.values().next().cloned(),
            None => None,
        }
    }
}

/// The JWKS of one provider, fetched on first use.
pub struct JwksCache {
    client: reqwest::Client,
    uri: Url,
    keys: Mutex<Option<Keys>>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("uri", &self.uri.as_str())
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    pub fn new(client: reqwest::Client, uri: Url) -> Self {
        Self {
            client,
            uri,
            keys: Mutex::new(None),
        }
    }

    /// The verification key for `kid`: from the cache, else after one
    /// refetch, else [`AccountError::UnknownSigningKey`].
    pub async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey> {
        let mut cached = self.keys.lock().await;
        if let Some(key) = cached.as_ref().and_then(|keys| keys.find(kid)) {
            return Ok(key);
        }
        let fresh = self.fetch().await?;
        let found = fresh.find(kid);
        *cached = Some(fresh);
        found.ok_or(AccountError::UnknownSigningKey)
    }

    async fn fetch(&self) -> Result<Keys> {
        let set: KeySet = http::get_json(&self.client, "the JWKS", &self.uri).await?;
        let mut keys = Keys::default();
        for jwk in set.keys {
            // Only RSA signing keys for RS256; others are skipped, not errors
            // (providers publish EC and encryption keys side by side).
            let usable = jwk.kty == "RSA"
                && jwk.usage.as_deref().is_none_or(|u| u == "sig")
                && jwk.alg.as_deref().is_none_or(|a| a == "RS256");
            let (true, Some(n), Some(e)) = (usable, jwk.n.as_deref(), jwk.e.as_deref()) else {
                continue;
            };
            let key = DecodingKey::from_rsa_components(n, e)
                .map_err(|e| AccountError::BadResponse(format!("the JWKS: a bad RSA key: {e}")))?;
            keys.by_kid.insert(jwk.kid, key);
        }
        tracing::debug!(
            keys = keys.by_kid.len(),
            "fetched the sign-in provider's JWKS"
        );
        Ok(keys)
    }
}
