//! The server's HTTP errors: the core's [`ApiError`] body (the same JSON the
//! desktop and the CLI already understand) with a status chosen from its
//! code. A failure of the server itself is logged with its detail and sent
//! as a bare "internal error": database text never reaches a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use banter_core::{ApiError, Error, ErrorCode};

/// An error a handler returns.
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    body: ApiError,
}

impl HttpError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: status_of(code),
            body: ApiError::new(code, message),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.body.code
    }

    /// What the client is told (also the data of a stream's `error` event).
    pub fn body(&self) -> &ApiError {
        &self.body
    }
}

impl From<Error> for HttpError {
    fn from(e: Error) -> Self {
        let status = status_of(e.code());
        if status == StatusCode::BAD_GATEWAY {
            // Another service (the identity provider, Autumn, the model) did
            // not answer: the client may try again; the message names which.
            tracing::warn!(code = %e.code(), error = %e, "an upstream service failed");
            return Self {
                status,
                body: e.to_api(),
            };
        }
        if !e.is_user_error() {
            // The detail is for the operator's log only.
            tracing::error!(code = %e.code(), error = %e, "request failed");
            return Self {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: ApiError::new(e.code(), "internal error; it was logged on the server"),
            };
        }
        Self {
            status: status_of(e.code()),
            body: e.to_api(),
        }
    }
}

impl From<sqlx::Error> for HttpError {
    fn from(e: sqlx::Error) -> Self {
        Error::from(e).into()
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The HTTP status of a code the server hands out.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::NotSignedIn
        | ErrorCode::TokenExpired
        | ErrorCode::DeviceRevoked
        | ErrorCode::RefreshTokenReused
        | ErrorCode::WebhookBadSignature
        | ErrorCode::WebhookTimestampOutOfRange
        | ErrorCode::SignInStateMismatch
        | ErrorCode::SignInRefused
        | ErrorCode::IdTokenInvalid => StatusCode::UNAUTHORIZED,
        ErrorCode::SignInUnavailable
        | ErrorCode::SignInBadProvider
        | ErrorCode::BillingUnavailable
        | ErrorCode::BillingNetwork
        | ErrorCode::BillingBadResponse
        // The operator's model, or the site a scrape fetched, failed or
        // answered unusably (`timeout`, `network` are either).
        | ErrorCode::Unauthorized
        | ErrorCode::DeploymentNotFound
        | ErrorCode::RateLimited
        | ErrorCode::Timeout
        | ErrorCode::Network
        | ErrorCode::BadRequest
        | ErrorCode::BadResponse
        | ErrorCode::ProviderRedirected
        | ErrorCode::InsecureEndpoint
        | ErrorCode::InvalidModelOutput
        | ErrorCode::ModelOutputTruncated
        // The site a scrape fetched answered with an error.
        | ErrorCode::HttpError => StatusCode::BAD_GATEWAY,
        ErrorCode::InsufficientCredits => StatusCode::PAYMENT_REQUIRED,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        // `database_busy`: another import into the account holds its turn
        // (`routes/import_rows.rs`); the client sends the batch again.
        ErrorCode::IdempotencyConflict
        | ErrorCode::JobInProgress
        | ErrorCode::SessionBusy
        | ErrorCode::DatabaseBusy => StatusCode::CONFLICT,
        ErrorCode::ServerNotReady
        | ErrorCode::BillingNotConfigured
        | ErrorCode::ProviderNotConfigured => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::InvalidInput | ErrorCode::InvalidAmount | ErrorCode::ModelNotFound => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

pub type HttpResult<T> = Result<T, HttpError>;
