//! The client's half of a sign-in: the authorization URL to open in the
//! system browser, and checking the answer that comes back (through the
//! `banter://auth/callback` deep link or the CLI's loopback listener)
//! before anything is handed to the server.

use super::discovery::ProviderMetadata;
use super::error::{AccountError, Result};
use super::pkce::{self, constant_time_eq, Pkce, NONCE_BYTES, STATE_BYTES};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The scopes asked for: the ID token, plus who the user is.
pub const SCOPES: &str = "openid email profile";

/// One sign-in attempt in progress. Keep it until the answer arrives; its
/// `Debug` shows neither the verifier nor the nonce.
#[derive(Clone)]
pub struct SignInAttempt {
    url: Url,
    redirect_uri: String,
    state: String,
    nonce: String,
    pkce: Pkce,
}

impl fmt::Debug for SignInAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInAttempt")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl SignInAttempt {
    /// A fresh attempt (new verifier, `state` and `nonce`) for `client_id`
    /// returning to `redirect_uri`.
    pub fn begin(provider: &ProviderMetadata, client_id: &str, redirect_uri: &str) -> Result<Self> {
        let pkce = Pkce::generate()?;
        let state = pkce::random_value(STATE_BYTES)?;
        let nonce = pkce::random_value(NONCE_BYTES)?;
        let mut url = provider.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", pkce.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(Self {
            url,
            redirect_uri: redirect_uri.to_string(),
            state,
            nonce,
            pkce,
        })
    }

    /// The page to open in the system browser. It carries only public
    /// values (the challenge, never the verifier).
    pub fn authorization_url(&self) -> &Url {
        &self.url
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The `state` this attempt sent (to match a deep link to its attempt).
    pub fn state(&self) -> &str {
        &self.state
    }

    /// Checks the provider's answer: its `state` must be this attempt's
    /// ([`AccountError::StateMismatch`] otherwise, checked before anything
    /// else is believed), and it must carry a code. Returns what the server
    /// needs to finish the sign-in.
    pub fn finish(&self, answer: AuthorizationResponse) -> Result<CodeGrant> {
        match answer {
            AuthorizationResponse::Code { code, state } => {
                if !constant_time_eq(&state, &self.state) {
                    return Err(AccountError::StateMismatch);
                }
                Ok(CodeGrant {
                    code,
                    code_verifier: self.pkce.verifier().to_string(),
                    redirect_uri: self.redirect_uri.clone(),
                    nonce: self.nonce.clone(),
                })
            }
            AuthorizationResponse::Error {
                error,
                description,
                state,
            } => {
                // A refusal that names another attempt is not ours to show.
                if state.is_some_and(|s| !constant_time_eq(&s, &self.state)) {
                    return Err(AccountError::StateMismatch);
                }
                Err(AccountError::AuthorizationRefused { error, description })
            }
        }
    }
}

/// What the provider sent back to the redirect URI.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthorizationResponse {
    Code {
        code: String,
        state: String,
    },
    /// RFC 6749 §4.1.2.1: the provider refused (`access_denied`, …).
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

impl fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code { .. } => f.write_str("Code { .. }"),
            Self::Error {
                error, description, ..
            } => f
                .debug_struct("Error")
                .field("error", error)
                .field("description", description)
                .finish_non_exhaustive(),
        }
    }
}

/// What the client hands to the Banter server, which exchanges the code
/// and verifies the ID token. `Debug` shows none of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub code: String,
    pub code_verifier: String,
    pub redirect_uri: String,
    pub nonce: String,
}

impl fmt::Debug for CodeGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeGrant")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}
