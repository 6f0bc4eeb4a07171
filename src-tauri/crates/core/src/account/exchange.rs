//! The code exchange (RFC 6749 §4.1.3 with RFC 7636's verifier): the
//! server POSTs the code to the provider's token endpoint and receives the
//! ID token. With a client secret when the operator configured one
//! (`client_secret_post`), else as a public client bound by PKCE alone.

use super::authorize::CodeGrant;
use super::error::{AccountError, Result};
use super::http;
use reqwest::Url;
use serde::Deserialize;
use std::fmt;

/// Who Banter is at the provider. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The token endpoint's answer. `Debug` shows no token.
#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub id_token: String,
    pub access_token: Option<String>,
    pub token_type: Option<String>,
    pub expires_in: Option<u64>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// RFC 6749 §5.2.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    error_description: Option<String>,
}

/// The longest provider error text repeated in an error message.
const MAX_ERROR_CHARS: usize = 300;

fn shortened(text: String) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_ERROR_CHARS)
        .collect()
}

/// Exchanges `grant`'s code at `token_endpoint`.
pub async fn exchange_code(
    client: &reqwest::Client,
    token_endpoint: &Url,
    credentials: &ClientCredentials,
    grant: &CodeGrant,
) -> Result<TokenResponse> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", grant.code.as_str()),
        ("redirect_uri", grant.redirect_uri.as_str()),
        ("code_verifier", grant.code_verifier.as_str()),
        ("client_id", credentials.client_id.as_str()),
    ];
    if let Some(secret) = &credentials.client_secret {
        form.push(("client_secret", secret.as_str()));
    }
    let response = client
        .post(token_endpoint.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(http::send_error)?;
    http::check_status(&response)?;
    let status = response.status();
    let body = http::read_body(response).await?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(err) => AccountError::TokenRefused {
                error: shortened(err.error),
                description: err.error_description.map(shortened),
            },
            Err(_) => AccountError::BadResponse(format!("the token endpoint: HTTP {status}")),
        });
    }
    let tokens: TokenResponse = serde_json::from_slice(&body)
        .map_err(|e| AccountError::BadResponse(format!("the token endpoint: {e}")))?;
    if tokens
        .token_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
    {
        return Err(AccountError::BadResponse(
            "the token endpoint: a token type other than Bearer".into(),
        ));
    }
    Ok(tokens)
}
