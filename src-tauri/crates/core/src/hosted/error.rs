//! What can go wrong talking to a Banter server, by stable code. A refusal
//! of the server keeps the server's own code (`insufficient_credits`,
//! `not_found`, …), so a screen branches on it exactly as in local mode.
//! Messages never carry a token.

use crate::error::{ApiError, ErrorCode};
use crate::secrets::SecretError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostedError {
    /// The server could not be reached (connection refused, no route, a
    /// timeout, the connection broke, a gateway said it is down). Nothing
    /// was charged by this request unless the server says so later; paid
    /// actions are refused, never queued.
    #[error("offline: cannot reach the Banter server at {server} ({detail}); paid actions need the server and nothing was charged")]
    Offline { server: String, detail: String },
    /// The server refused the request with its own error.
    #[error("{}", .error.message)]
    Server { status: u16, error: ApiError },
    /// The server says this device is signed out (revoked, signed out from
    /// another device, or its refresh token was used twice). Its tokens
    /// were removed from this computer.
    #[error("signed out of {server}: {message}")]
    SignedOut {
        code: ErrorCode,
        server: String,
        message: String,
    },
    /// This profile is not signed in to a server (or its tokens are gone
    /// from the keyring).
    #[error("not signed in to a Banter server: {0}")]
    NotSignedIn(String),
    /// The server's answer was not what its API promises (not JSON of the
    /// expected shape, a redirect, an unknown error code).
    #[error("the Banter server answered something unexpected: {0}")]
    BadResponse(String),
    /// The server URL is not an http(s) URL, or plain http to another
    /// computer (tokens would cross the network in the clear).
    #[error("the server URL is not usable: {0}")]
    BadServerUrl(String),
    /// The OS keyring, where the device's tokens live.
    #[error(transparent)]
    Keyring(#[from] SecretError),
}

impl HostedError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Offline { .. } => ErrorCode::Offline,
            Self::Server { error, .. } => error.code,
            Self::SignedOut { code, .. } => *code,
            Self::NotSignedIn(_) => ErrorCode::NotSignedIn,
            Self::BadResponse(_) => ErrorCode::ServerBadResponse,
            Self::BadServerUrl(_) => ErrorCode::InvalidInput,
            Self::Keyring(e) => e.code(),
        }
    }

    /// True when the user can act on it (sign in, change the input, buy
    /// credits); false when the server or the network failed.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Server { status, .. } => *status < 500,
            Self::SignedOut { .. } | Self::NotSignedIn(_) | Self::BadServerUrl(_) => true,
            Self::Keyring(_) => true,
            Self::Offline { .. } | Self::BadResponse(_) => false,
        }
    }

    /// The error as the UI and `--json` receive it: a server refusal is
    /// passed on whole (with `needed`/`available` or `field`).
    pub fn to_api(&self) -> ApiError {
        match self {
            Self::Server { error, .. } => error.clone(),
            other => ApiError::new(other.code(), other.to_string()),
        }
    }

    /// The server's error code, when this is a refusal of the server.
    pub fn server_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { error, .. } => Some(error.code),
            _ => None,
        }
    }
}

impl From<HostedError> for ApiError {
    fn from(e: HostedError) -> Self {
        e.to_api()
    }
}
