//! The server's half of signing in (see `docs/architecture.md`, "Signing
//! in"): a client learns which provider to use (`GET /v1/auth/config`),
//! runs authorization code + PKCE in the browser itself, and hands the code
//! grant to `POST /v1/auth/token`. The server exchanges it with its client
//! credentials, verifies the ID token (the core's `OidcProvider`), creates
//! the account on first sign-in, and answers with this device's tokens.
//!
//! The provider is discovered on first use and kept; a failed discovery is
//! retried by the next sign-in, so a server can start before its provider
//! answers.

use crate::accounts::{self, Identity, SignedIn};
use crate::error::HttpResult;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use banter_core::account::{ClientCredentials, CodeGrant, OidcProvider};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The configured provider and, once discovered, its metadata and keys.
#[derive(Debug, Clone)]
pub struct SignInProvider {
    issuer: String,
    credentials: ClientCredentials,
    discovered: Arc<OnceCell<OidcProvider>>,
}

impl SignInProvider {
    pub fn new(issuer: String, credentials: ClientCredentials) -> Self {
        Self {
            issuer,
            credentials,
            discovered: Arc::default(),
        }
    }

    async fn provider(&self) -> HttpResult<&OidcProvider> {
        Ok(self
            .discovered
            .get_or_try_init(|| OidcProvider::discover(&self.issuer, self.credentials.clone()))
            .await
            .map_err(banter_core::Error::from)?)
    }
}

/// What a client needs to start signing in.
#[derive(Debug, Serialize)]
pub struct SignInConfig {
    pub issuer: String,
    pub client_id: String,
}

pub async fn config(State(state): State<AppState>) -> Json<SignInConfig> {
    Json(SignInConfig {
        issuer: state.sign_in.issuer.clone(),
        client_id: state.sign_in.credentials.client_id.clone(),
    })
}

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    pub grant: CodeGrant,
    /// Shown in the account's device list ("Work laptop", "banter-cli on …").
    pub device_name: String,
}

pub async fn token(
    State(state): State<AppState>,
    Json(req): Json<TokenRequest>,
) -> HttpResult<Json<SignedIn>> {
    let provider = state.sign_in.provider().await?;
    let verified = provider
        .complete(&req.grant, state.clock.now())
        .await
        .map_err(banter_core::Error::from)?;
    let identity = Identity {
        issuer: verified.issuer,
        subject: verified.subject,
        email: verified.email,
        name: verified.name,
    };
    Ok(Json(
        accounts::sign_in(&state, &identity, &req.device_name).await?,
    ))
}
