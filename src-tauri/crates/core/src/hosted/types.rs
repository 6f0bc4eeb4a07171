//! The server's own answers that have no twin in the core (the core's
//! `Balance`, `LedgerPage`, `ChatSession`, … are read as they are).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `GET /v1/account`: who this device is signed in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub user_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub device_id: String,
}

/// One of the account's devices (`GET /v1/devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// `GET /v1/auth/config`: the provider a client signs in with.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct SignInConfig {
    pub issuer: String,
    pub client_id: String,
}

/// A token response (OAuth's snake_case names, RFC 6749 §5.1), from
/// `POST /v1/auth/token` (with the account fields) and `/v1/auth/refresh`.
#[derive(Deserialize)]
pub(super) struct TokenAnswer {
    pub access_token: String,
    pub refresh_token: String,
    pub device_id: String,
    /// Only in a sign-in's answer: true when it created the account.
    #[serde(default)]
    pub created: bool,
}

/// `{"signedOut": n}` from the sign-out routes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SignedOutCount {
    pub signed_out: usize,
}
