//! What can go wrong buying credits, by stable code.

use super::deep_link::DeepLinkError;
use super::webhook_error::WebhookError;
use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    #[error("purchases are not set up: {0}")]
    NotConfigured(String),
    #[error("Autumn refused the billing key")]
    Unauthorized,
    #[error("Autumn is unavailable right now (HTTP {status}); your purchase is kept and will be checked again")]
    Unavailable { status: u16 },
    #[error("could not reach Autumn: {0}; your purchase is kept and will be checked again")]
    Network(String),
    #[error("Autumn answered something unexpected: {0}")]
    BadResponse(String),
    #[error("Autumn refused the request: {0}")]
    Rejected(String),
    #[error("Autumn answered for a different customer; nothing was granted")]
    CustomerMismatch,
    #[error("unknown product {0:?}")]
    UnknownProduct(String),
    #[error("refused to open the checkout page {0:?}: not an https page of the payment provider")]
    UnsafeCheckoutUrl(String),
    /// A 3xx from Autumn: never followed, so the billing key goes nowhere
    /// but the configured API (see `crate::transport`).
    #[error("Autumn answered HTTP {status} pointing to {location}; redirects are not followed")]
    Redirected { status: u16, location: String },
    /// An Autumn URL that would send the billing key in the clear.
    #[error("refused the Autumn URL: {0}")]
    InsecureEndpoint(String),
    #[error(transparent)]
    DeepLink(#[from] DeepLinkError),
    #[error(transparent)]
    Webhook(#[from] WebhookError),
}

impl BillingError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotConfigured(_) => ErrorCode::BillingNotConfigured,
            Self::Unauthorized => ErrorCode::BillingUnauthorized,
            Self::Unavailable { .. } => ErrorCode::BillingUnavailable,
            Self::Network(_) => ErrorCode::BillingNetwork,
            Self::BadResponse(_) => ErrorCode::BillingBadResponse,
            Self::Rejected(_) => ErrorCode::BillingRejected,
            Self::CustomerMismatch => ErrorCode::BillingCustomerMismatch,
            Self::UnknownProduct(_) => ErrorCode::UnknownProduct,
            Self::UnsafeCheckoutUrl(_) => ErrorCode::UnsafeCheckoutUrl,
            Self::Redirected { .. } => ErrorCode::BillingRedirected,
            Self::InsecureEndpoint(_) => ErrorCode::BillingInsecureEndpoint,
            Self::DeepLink(e) => e.code(),
            Self::Webhook(e) => e.code(),
        }
    }

    /// Failures worth retrying later (the purchase stays pending).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Network(_))
    }
}
