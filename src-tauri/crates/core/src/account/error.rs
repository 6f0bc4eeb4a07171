//! What can go wrong signing in, by stable code. Messages never carry a
//! token, a code or a verifier.

use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The `state` that came back is not the one this sign-in sent: the
    /// redirect belongs to another attempt, or was forged.
    #[error("the sign-in answer does not belong to this sign-in attempt; start again")]
    StateMismatch,
    /// The provider refused at its authorization page (e.g. `access_denied`).
    #[error("the sign-in provider refused: {error}{}", describe(.description))]
    AuthorizationRefused {
        error: String,
        description: Option<String>,
    },
    /// The token endpoint answered with an RFC 6749 error (e.g.
    /// `invalid_grant` for a used, expired or wrongly verified code).
    #[error("the sign-in provider refused the code: {error}{}", describe(.description))]
    TokenRefused {
        error: String,
        description: Option<String>,
    },
    #[error("could not reach the sign-in provider: {0}")]
    Network(String),
    #[error("the sign-in provider did not answer in time")]
    Timeout,
    #[error("the sign-in provider is unavailable (HTTP {status})")]
    Unavailable { status: u16 },
    /// A 3xx from the provider's API: never followed.
    #[error("the sign-in provider answered HTTP {status} pointing to {location}; redirects are not followed")]
    Redirected { status: u16, location: String },
    #[error("the sign-in provider answered something unexpected: {0}")]
    BadResponse(String),
    /// The discovery document names another issuer than the configured one.
    #[error("the provider's discovery document names the issuer {found:?}, not {expected:?}")]
    IssuerMismatch { expected: String, found: String },
    /// The provider (or its configuration) cannot do what Banter needs:
    /// code flow, PKCE S256, RS256, a safe endpoint.
    #[error("the sign-in provider is not usable: {0}")]
    Unsupported(String),
    /// The ID token is not a well-formed JWT.
    #[error("the ID token is malformed: {0}")]
    MalformedIdToken(String),
    /// Only RS256 is accepted (never `none` or an HMAC algorithm).
    #[error("the ID token is signed with {0}, not RS256")]
    UnsupportedAlgorithm(String),
    /// No JWKS key has the token's `kid`, even after fetching the set again.
    #[error("the ID token is signed with an unknown key")]
    UnknownSigningKey,
    #[error("the ID token's signature is invalid")]
    BadSignature,
    #[error("the ID token was issued by {found:?}, not {expected:?}")]
    WrongIssuer { expected: String, found: String },
    #[error("the ID token is not meant for this client")]
    WrongAudience,
    #[error("the ID token has expired")]
    Expired,
    /// `iat` in the future or too long ago.
    #[error("the ID token's issue time is not plausible")]
    BadIssueTime,
    #[error("the ID token's nonce does not match this sign-in")]
    NonceMismatch,
    #[error("the ID token has no {0:?} claim")]
    MissingClaim(&'static str),
    /// The loopback redirect or deep link is not a valid sign-in answer.
    #[error("the sign-in answer is malformed: {0}")]
    BadCallback(String),
    /// No sign-in answer reached the loopback listener in time.
    #[error("no sign-in answer arrived in time; start again")]
    TimedOut,
    /// Something on this computer failed (the OS random generator, the
    /// loopback socket).
    #[error("sign-in could not start here: {0}")]
    Local(String),
}

fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

impl AccountError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::StateMismatch => ErrorCode::SignInStateMismatch,
            Self::AuthorizationRefused { .. } | Self::TokenRefused { .. } => {
                ErrorCode::SignInRefused
            }
            Self::Network(_)
            | Self::Timeout
            | Self::Unavailable { .. }
            | Self::Redirected { .. } => ErrorCode::SignInUnavailable,
            Self::BadResponse(_) | Self::IssuerMismatch { .. } | Self::Unsupported(_) => {
                ErrorCode::SignInBadProvider
            }
            Self::MalformedIdToken(_)
            | Self::UnsupportedAlgorithm(_)
            | Self::UnknownSigningKey
            | Self::BadSignature
            | Self::WrongIssuer { .. }
            | Self::WrongAudience
            | Self::Expired
            | Self::BadIssueTime
            | Self::NonceMismatch
            | Self::MissingClaim(_) => ErrorCode::IdTokenInvalid,
            Self::BadCallback(_) => ErrorCode::SignInBadCallback,
            Self::TimedOut => ErrorCode::SignInTimedOut,
            Self::Local(_) => ErrorCode::SignInFailed,
        }
    }

    /// Failures worth trying again as they are (the provider may be back).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Network(_) | Self::Timeout | Self::Unavailable { .. }
        )
    }
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;
