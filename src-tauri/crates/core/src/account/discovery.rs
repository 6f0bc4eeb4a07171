//! The provider's discovery document (OpenID Connect Discovery 1.0): where
//! its authorization, token and key endpoints are, and what it supports.

use super::error::{AccountError, Result};
use super::http;
use reqwest::Url;
use serde::Deserialize;

/// Appended to the issuer (OpenID Connect Discovery §4).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// What the discovery document says, checked (see [`discover`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// Equal, character for character, to the configured issuer.
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
}

#[derive(Debug, Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    response_types_supported: Vec<String>,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    /// Absent means the provider does not say (several that support PKCE
    /// leave it out); present without `S256` is refused.
    code_challenge_methods_supported: Option<Vec<String>>,
}

/// The discovery URL of `issuer`.
pub fn discovery_url(issuer: &str) -> Result<Url> {
    http::endpoint(
        "the issuer",
        &format!("{}{DISCOVERY_PATH}", issuer.trim_end_matches('/')),
    )
}

/// [`discover`] with sign-in's own HTTP client (no redirects, timeouts),
/// for a client that only needs the metadata to build its authorization URL.
pub async fn fetch(issuer: &str) -> Result<ProviderMetadata> {
    discover(&http::client()?, issuer).await
}

/// Fetches and checks `issuer`'s discovery document: the `issuer` it names
/// must equal `issuer` exactly (else tokens from one tenant could pass for
/// another's), every endpoint must be https (or http to this computer), and
/// the provider must offer the code flow, RS256 and PKCE S256.
pub async fn discover(client: &reqwest::Client, issuer: &str) -> Result<ProviderMetadata> {
    let url = discovery_url(issuer)?;
    let doc: Document = http::get_json(client, "the discovery document", &url).await?;
    if doc.issuer != issuer {
        return Err(AccountError::IssuerMismatch {
            expected: issuer.to_string(),
            found: doc.issuer,
        });
    }
    if !doc.response_types_supported.iter().any(|t| t == "code") {
        return Err(AccountError::Unsupported(
            "the provider does not offer the authorization code flow".into(),
        ));
    }
    if !doc
        .id_token_signing_alg_values_supported
        .iter()
        .any(|a| a == "RS256")
    {
        return Err(AccountError::Unsupported(
            "the provider does not sign ID tokens with RS256".into(),
        ));
    }
    if let Some(methods) = &doc.code_challenge_methods_supported {
        if !methods.iter().any(|m| m == "S256") {
            return Err(AccountError::Unsupported(
                "the provider does not support PKCE with S256".into(),
            ));
        }
    }
    Ok(ProviderMetadata {
        authorization_endpoint: http::endpoint(
            "the authorization endpoint",
            &doc.authorization_endpoint,
        )?,
        token_endpoint: http::endpoint("the token endpoint", &doc.token_endpoint)?,
        jwks_uri: http::endpoint("the JWKS URI", &doc.jwks_uri)?,
        issuer: doc.issuer,
    })
}
