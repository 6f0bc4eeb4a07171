//! Every `/v1` route but sign-in and refresh takes a [`Caller`]: a handler
//! that names one cannot run for a request without a valid access token of
//! a device that is still signed in.

use super::devices::{self, Caller};
use crate::error::HttpError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use banter_core::ErrorCode;

impl FromRequestParts<AppState> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                HttpError::new(ErrorCode::NotSignedIn, "sign in first (no access token)")
            })?;
        devices::authenticate(state.store.pool(), token, state.clock.now()).await
    }
}
