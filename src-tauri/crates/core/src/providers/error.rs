//! What can go wrong talking to a model, as the UI needs to tell it apart.

use crate::error::ErrorCode;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("no chat model is configured: {0}")]
    NotConfigured(String),
    /// A chat names a model that is not (or no longer) configured.
    #[error("no model called {name:?} is configured; choose another in the model picker")]
    UnknownModel { name: String },
    #[error("the provider rejected the API key (check the key and the endpoint)")]
    Unauthorized,
    #[error("the deployment {deployment:?} does not exist on this resource")]
    DeploymentNotFound { deployment: String },
    #[error("the provider is rate limiting requests; try again in {} s", retry_after.map_or(0, |d| d.as_secs().max(1)))]
    RateLimited { retry_after: Option<Duration> },
    #[error("the provider's content filter blocked this {what}")]
    ContentFiltered { what: &'static str },
    #[error("the provider did not answer in time ({phase})")]
    Timeout { phase: &'static str },
    #[error("could not reach the provider: {0}")]
    Network(String),
    #[error("the provider refused the request ({code}): {message}")]
    BadRequest { code: String, message: String },
    #[error("the provider sent something unexpected: {0}")]
    BadResponse(String),
    /// A 3xx answer. Redirects are never followed: the key and the prompt
    /// go only to the configured endpoint (see `crate::transport`).
    #[error("the provider answered HTTP {status} pointing to {location}; redirects are not followed, so check the endpoint in Settings")]
    Redirected { status: u16, location: String },
    /// An endpoint that would send the key in the clear, refused before
    /// any connection.
    #[error("refused the endpoint: {0}")]
    InsecureEndpoint(String),
}

impl ProviderError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotConfigured(_) => ErrorCode::ProviderNotConfigured,
            Self::UnknownModel { .. } => ErrorCode::ModelNotFound,
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::DeploymentNotFound { .. } => ErrorCode::DeploymentNotFound,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::ContentFiltered { .. } => ErrorCode::ContentFiltered,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Network(_) => ErrorCode::Network,
            Self::BadRequest { .. } => ErrorCode::BadRequest,
            Self::BadResponse(_) => ErrorCode::BadResponse,
            Self::Redirected { .. } => ErrorCode::ProviderRedirected,
            Self::InsecureEndpoint(_) => ErrorCode::InsecureEndpoint,
        }
    }

    /// Worth another attempt before any text reached the user.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Network(_)
        )
    }

    /// The user can fix it (settings, key, their message).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::NotConfigured(_)
                | Self::UnknownModel { .. }
                | Self::Unauthorized
                | Self::DeploymentNotFound { .. }
                | Self::ContentFiltered { .. }
                | Self::BadRequest { .. }
                | Self::Redirected { .. }
                | Self::InsecureEndpoint(_)
        )
    }
}
