//! Why a webhook delivery was refused, by stable code. None of these ever
//! grants or changes anything: a refused delivery is answered with an error
//! status and Autumn's sender (Svix) retries it later.

use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// One of `svix-id`, `svix-timestamp`, `svix-signature` is absent (or
    /// not text).
    #[error("the webhook has no {0} header")]
    MissingHeader(&'static str),
    /// A header or the body is not in the shape Svix and Autumn send.
    #[error("the webhook is malformed: {0}")]
    Malformed(String),
    /// Signed longer ago than [`super::webhook::TIMESTAMP_TOLERANCE`]: a
    /// replay of an old delivery, or a badly wrong clock.
    #[error("the webhook was signed {seconds} s ago, longer than the tolerance allows")]
    Stale { seconds: i64 },
    /// Signed further ahead than [`super::webhook::TIMESTAMP_TOLERANCE`].
    #[error("the webhook was signed {seconds} s in the future, more than the tolerance allows")]
    FromTheFuture { seconds: i64 },
    /// No `v1` signature matches the body with our secret.
    #[error("the webhook's signature does not match")]
    BadSignature,
    /// The configured webhook secret is not `whsec_<base64>`.
    #[error("the webhook secret is not a Svix secret (whsec_<base64>)")]
    BadSecret,
}

impl WebhookError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingHeader(_) => ErrorCode::WebhookMissingHeader,
            Self::Malformed(_) => ErrorCode::WebhookMalformed,
            Self::Stale { .. } | Self::FromTheFuture { .. } => {
                ErrorCode::WebhookTimestampOutOfRange
            }
            Self::BadSignature => ErrorCode::WebhookBadSignature,
            Self::BadSecret => ErrorCode::WebhookBadSecret,
        }
    }
}
