//! The core's error type and its serializable form for the shells.
//!
//! Each module owns a `thiserror` enum for its own failures; [`Error`] gathers
//! them so callers handle one type, and [`ApiError`] is what crosses into the
//! UI or the CLI's `--json` output: a stable `code` to branch on, a readable
//! `message`, and the few fields a screen needs (e.g. `needed`/`available`).
//! Every code is an [`ErrorCode`] variant, so the UI's tables can be checked
//! against the complete list.

use crate::chat::ChatError;
use crate::db::DbError;
use crate::ledger::LedgerError;
use crate::providers::ProviderError;
use crate::validate::ValidationError;
use serde::Serialize;

pub use crate::error_code::ErrorCode;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Chat(#[from] ChatError),
    #[error(transparent)]
    Attachment(#[from] crate::chat::AttachmentError),
    #[error(transparent)]
    Journal(#[from] crate::chat::JournalError),
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Billing(#[from] crate::billing::BillingError),
    #[error(transparent)]
    Account(#[from] crate::account::AccountError),
    #[error(transparent)]
    Hosted(#[from] crate::hosted::HostedError),
    #[error(transparent)]
    Generation(#[from] crate::projects::GenerationError),
    #[error(transparent)]
    Scrape(#[from] crate::scrape::ScrapeError),
    #[error(transparent)]
    Job(#[from] crate::jobs::JobError),
    #[error("{kind} not found: {id}")]
    NotFound { kind: &'static str, id: String },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}

impl Error {
    pub fn not_found(kind: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Db(e) => e.code(),
            Self::Ledger(e) => e.code(),
            Self::Invalid(_) => ErrorCode::InvalidInput,
            Self::Provider(e) => e.code(),
            Self::Chat(e) => e.code(),
            Self::Attachment(e) => e.code(),
            Self::Journal(e) => e.code(),
            Self::Settings(e) => e.code(),
            Self::Secret(e) => e.code(),
            Self::Billing(e) => e.code(),
            Self::Account(e) => e.code(),
            Self::Hosted(e) => e.code(),
            Self::Generation(e) => e.code(),
            Self::Scrape(e) => e.code(),
            Self::Job(e) => e.code(),
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Sqlx(e) if sqlite_code(e) == Some(5) || sqlite_code(e) == Some(6) => {
                ErrorCode::DatabaseBusy
            }
            Self::Sqlx(e) if sqlite_code(e) == Some(11) || sqlite_code(e) == Some(26) => {
                ErrorCode::DatabaseCorrupt
            }
            Self::Sqlx(_) => ErrorCode::Database,
        }
    }

    /// True when the user can fix it (bad input, not enough credits, unknown
    /// id); false for failures of the machine or of the program.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Db(e) => e.is_user_error(),
            Self::Ledger(e) => e.is_user_error(),
            Self::Invalid(_) | Self::NotFound { .. } | Self::Chat(_) | Self::Attachment(_) => true,
            // The disk's fault (full, read-only, removed): not the user's input.
            Self::Journal(_) => false,
            Self::Provider(e) => e.is_user_error(),
            Self::Settings(_) | Self::Secret(_) => true,
            Self::Billing(e) => !e.is_transient(),
            Self::Account(e) => !e.is_transient(),
            Self::Hosted(e) => e.is_user_error(),
            // The model's fault, not the user's: they can only try again.
            Self::Generation(_) => false,
            Self::Scrape(e) => e.is_user_error(),
            Self::Job(_) => true,
            Self::Sqlx(_) => false,
        }
    }

    pub fn to_api(&self) -> ApiError {
        if let Self::Hosted(e) = self {
            // A server's refusal is passed on whole, with its fields.
            return e.to_api();
        }
        let (needed, available) = match self {
            Self::Ledger(LedgerError::InsufficientCredits { needed, available }) => {
                (Some(*needed), Some(*available))
            }
            _ => (None, None),
        };
        let field = match self {
            Self::Invalid(v) => Some(v.field().to_string()),
            _ => None,
        };
        ApiError {
            code: self.code(),
            message: self.to_string(),
            needed,
            available,
            field,
        }
    }
}

/// SQLite's primary result code (5 busy, 6 locked, 11 corrupt, 26 not a
/// database), from the low byte of an extended code. `None` for other
/// databases' errors (a Postgres SQLSTATE is no SQLite code).
pub(crate) fn sqlite_code(e: &sqlx::Error) -> Option<i32> {
    match e {
        sqlx::Error::Database(d) if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
            d.code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff)
        }
        _ => None,
    }
}

/// The serializable error handed to the UI and printed by the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An error of the shell's own (a file it could not write, …).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            needed: None,
            available: None,
            field: None,
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        e.to_api()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::ValidationError;

    /// The boundary error of every code, as the UI and `--json` receive it.
    /// A changed wire string, or a new code without a line here, fails
    /// [`every_code_crosses_the_boundary_as_its_snapshot`].
    const SNAPSHOTS: &[(ErrorCode, &str)] = &[
        (
            ErrorCode::InvalidInput,
            r#"{"code":"invalid_input","message":"title must not be empty","field":"title"}"#,
        ),
        (ErrorCode::NotFound, r#"{"code":"not_found","message":"m"}"#),
        (
            ErrorCode::DatabaseBusy,
            r#"{"code":"database_busy","message":"m"}"#,
        ),
        (
            ErrorCode::DatabaseCorrupt,
            r#"{"code":"database_corrupt","message":"m"}"#,
        ),
        (ErrorCode::Database, r#"{"code":"database","message":"m"}"#),
        (
            ErrorCode::DatabaseReadOnly,
            r#"{"code":"database_read_only","message":"m"}"#,
        ),
        (
            ErrorCode::DatabaseTooNew,
            r#"{"code":"database_too_new","message":"m"}"#,
        ),
        (
            ErrorCode::DatabaseMigrationFailed,
            r#"{"code":"database_migration_failed","message":"m"}"#,
        ),
        (
            ErrorCode::DatabaseUnavailable,
            r#"{"code":"database_unavailable","message":"m"}"#,
        ),
        (
            ErrorCode::InsufficientCredits,
            r#"{"code":"insufficient_credits","message":"not enough credits: this needs 3, you have 1","needed":3,"available":1}"#,
        ),
        (
            ErrorCode::IdempotencyConflict,
            r#"{"code":"idempotency_conflict","message":"m"}"#,
        ),
        (
            ErrorCode::NotRefundable,
            r#"{"code":"not_refundable","message":"m"}"#,
        ),
        (
            ErrorCode::InvalidAmount,
            r#"{"code":"invalid_amount","message":"m"}"#,
        ),
        (
            ErrorCode::LedgerInconsistent,
            r#"{"code":"ledger_inconsistent","message":"m"}"#,
        ),
        (
            ErrorCode::ProviderNotConfigured,
            r#"{"code":"provider_not_configured","message":"m"}"#,
        ),
        (
            ErrorCode::ModelNotFound,
            r#"{"code":"model_not_found","message":"m"}"#,
        ),
        (
            ErrorCode::Unauthorized,
            r#"{"code":"unauthorized","message":"m"}"#,
        ),
        (
            ErrorCode::DeploymentNotFound,
            r#"{"code":"deployment_not_found","message":"m"}"#,
        ),
        (
            ErrorCode::RateLimited,
            r#"{"code":"rate_limited","message":"m"}"#,
        ),
        (
            ErrorCode::ContentFiltered,
            r#"{"code":"content_filtered","message":"m"}"#,
        ),
        (ErrorCode::Timeout, r#"{"code":"timeout","message":"m"}"#),
        (ErrorCode::Network, r#"{"code":"network","message":"m"}"#),
        (
            ErrorCode::BadRequest,
            r#"{"code":"bad_request","message":"m"}"#,
        ),
        (
            ErrorCode::BadResponse,
            r#"{"code":"bad_response","message":"m"}"#,
        ),
        (
            ErrorCode::ProviderRedirected,
            r#"{"code":"provider_redirected","message":"m"}"#,
        ),
        (
            ErrorCode::InsecureEndpoint,
            r#"{"code":"insecure_endpoint","message":"m"}"#,
        ),
        (
            ErrorCode::SessionBusy,
            r#"{"code":"session_busy","message":"m"}"#,
        ),
        (
            ErrorCode::ReplyNotSaved,
            r#"{"code":"reply_not_saved","message":"m"}"#,
        ),
        (
            ErrorCode::TooManyAttachments,
            r#"{"code":"too_many_attachments","message":"m"}"#,
        ),
        (
            ErrorCode::AttachmentTooLarge,
            r#"{"code":"attachment_too_large","message":"m"}"#,
        ),
        (
            ErrorCode::AttachmentNotText,
            r#"{"code":"attachment_not_text","message":"m"}"#,
        ),
        (
            ErrorCode::AttachmentUnsupported,
            r#"{"code":"attachment_unsupported","message":"m"}"#,
        ),
        (
            ErrorCode::AttachmentOverBudget,
            r#"{"code":"attachment_over_budget","message":"m"}"#,
        ),
        (
            ErrorCode::ModelCannotSee,
            r#"{"code":"model_cannot_see","message":"m"}"#,
        ),
        (
            ErrorCode::AttachmentUnreadable,
            r#"{"code":"attachment_unreadable","message":"m"}"#,
        ),
        (
            ErrorCode::SettingCorrupt,
            r#"{"code":"setting_corrupt","message":"m"}"#,
        ),
        (
            ErrorCode::KeyringUnavailable,
            r#"{"code":"keyring_unavailable","message":"m"}"#,
        ),
        (
            ErrorCode::BillingNotConfigured,
            r#"{"code":"billing_not_configured","message":"m"}"#,
        ),
        (
            ErrorCode::BillingUnauthorized,
            r#"{"code":"billing_unauthorized","message":"m"}"#,
        ),
        (
            ErrorCode::BillingUnavailable,
            r#"{"code":"billing_unavailable","message":"m"}"#,
        ),
        (
            ErrorCode::BillingNetwork,
            r#"{"code":"billing_network","message":"m"}"#,
        ),
        (
            ErrorCode::BillingBadResponse,
            r#"{"code":"billing_bad_response","message":"m"}"#,
        ),
        (
            ErrorCode::BillingRejected,
            r#"{"code":"billing_rejected","message":"m"}"#,
        ),
        (
            ErrorCode::BillingCustomerMismatch,
            r#"{"code":"billing_customer_mismatch","message":"m"}"#,
        ),
        (
            ErrorCode::UnknownProduct,
            r#"{"code":"unknown_product","message":"m"}"#,
        ),
        (
            ErrorCode::UnsafeCheckoutUrl,
            r#"{"code":"unsafe_checkout_url","message":"m"}"#,
        ),
        (
            ErrorCode::BillingRedirected,
            r#"{"code":"billing_redirected","message":"m"}"#,
        ),
        (
            ErrorCode::BillingInsecureEndpoint,
            r#"{"code":"billing_insecure_endpoint","message":"m"}"#,
        ),
        (
            ErrorCode::BadDeepLink,
            r#"{"code":"bad_deep_link","message":"m"}"#,
        ),
        (
            ErrorCode::WebhookMissingHeader,
            r#"{"code":"webhook_missing_header","message":"m"}"#,
        ),
        (
            ErrorCode::WebhookMalformed,
            r#"{"code":"webhook_malformed","message":"m"}"#,
        ),
        (
            ErrorCode::WebhookTimestampOutOfRange,
            r#"{"code":"webhook_timestamp_out_of_range","message":"m"}"#,
        ),
        (
            ErrorCode::WebhookBadSignature,
            r#"{"code":"webhook_bad_signature","message":"m"}"#,
        ),
        (
            ErrorCode::WebhookBadSecret,
            r#"{"code":"webhook_bad_secret","message":"m"}"#,
        ),
        (
            ErrorCode::SignInStateMismatch,
            r#"{"code":"sign_in_state_mismatch","message":"m"}"#,
        ),
        (
            ErrorCode::SignInRefused,
            r#"{"code":"sign_in_refused","message":"m"}"#,
        ),
        (
            ErrorCode::SignInUnavailable,
            r#"{"code":"sign_in_unavailable","message":"m"}"#,
        ),
        (
            ErrorCode::SignInBadProvider,
            r#"{"code":"sign_in_bad_provider","message":"m"}"#,
        ),
        (
            ErrorCode::IdTokenInvalid,
            r#"{"code":"id_token_invalid","message":"m"}"#,
        ),
        (
            ErrorCode::SignInBadCallback,
            r#"{"code":"sign_in_bad_callback","message":"m"}"#,
        ),
        (
            ErrorCode::SignInTimedOut,
            r#"{"code":"sign_in_timed_out","message":"m"}"#,
        ),
        (
            ErrorCode::SignInFailed,
            r#"{"code":"sign_in_failed","message":"m"}"#,
        ),
        (
            ErrorCode::InvalidModelOutput,
            r#"{"code":"invalid_model_output","message":"m"}"#,
        ),
        (
            ErrorCode::ModelOutputTruncated,
            r#"{"code":"model_output_truncated","message":"m"}"#,
        ),
        (ErrorCode::BadUrl, r#"{"code":"bad_url","message":"m"}"#),
        (
            ErrorCode::HttpError,
            r#"{"code":"http_error","message":"m"}"#,
        ),
        (ErrorCode::TooLarge, r#"{"code":"too_large","message":"m"}"#),
        (
            ErrorCode::NotAWebPage,
            r#"{"code":"not_a_web_page","message":"m"}"#,
        ),
        (
            ErrorCode::TooManyRedirects,
            r#"{"code":"too_many_redirects","message":"m"}"#,
        ),
        (
            ErrorCode::EmptyPage,
            r#"{"code":"empty_page","message":"m"}"#,
        ),
        (
            ErrorCode::RedirectToPrivateAddress,
            r#"{"code":"redirect_to_private_address","message":"m"}"#,
        ),
        (
            ErrorCode::PrivateAddress,
            r#"{"code":"private_address","message":"m"}"#,
        ),
        (
            ErrorCode::PageTooComplex,
            r#"{"code":"page_too_complex","message":"m"}"#,
        ),
        (
            ErrorCode::ExtractionTimeout,
            r#"{"code":"extraction_timeout","message":"m"}"#,
        ),
        (
            ErrorCode::JobInProgress,
            r#"{"code":"job_in_progress","message":"m"}"#,
        ),
        (
            ErrorCode::JobFailed,
            r#"{"code":"job_failed","message":"m"}"#,
        ),
        (
            ErrorCode::NotSignedIn,
            r#"{"code":"not_signed_in","message":"m"}"#,
        ),
        (
            ErrorCode::TokenExpired,
            r#"{"code":"token_expired","message":"m"}"#,
        ),
        (
            ErrorCode::DeviceRevoked,
            r#"{"code":"device_revoked","message":"m"}"#,
        ),
        (
            ErrorCode::RefreshTokenReused,
            r#"{"code":"refresh_token_reused","message":"m"}"#,
        ),
        (
            ErrorCode::ServerNotReady,
            r#"{"code":"server_not_ready","message":"m"}"#,
        ),
        (ErrorCode::Offline, r#"{"code":"offline","message":"m"}"#),
        (
            ErrorCode::ServerBadResponse,
            r#"{"code":"server_bad_response","message":"m"}"#,
        ),
        (
            ErrorCode::NotAvailableSignedIn,
            r#"{"code":"not_available_signed_in","message":"m"}"#,
        ),
        (
            ErrorCode::ShortcutUnavailable,
            r#"{"code":"shortcut_unavailable","message":"m"}"#,
        ),
        (
            ErrorCode::SessionNotInWindow,
            r#"{"code":"session_not_in_window","message":"m"}"#,
        ),
        (
            ErrorCode::OpenFailed,
            r#"{"code":"open_failed","message":"m"}"#,
        ),
        (
            ErrorCode::ExportFailed,
            r#"{"code":"export_failed","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateNotConfigured,
            r#"{"code":"update_not_configured","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateBadUrl,
            r#"{"code":"update_bad_url","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateInsecureUrl,
            r#"{"code":"update_insecure_url","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateBadSignature,
            r#"{"code":"update_bad_signature","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateUnavailable,
            r#"{"code":"update_unavailable","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateNotOffered,
            r#"{"code":"update_not_offered","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateInstallFailed,
            r#"{"code":"update_install_failed","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateReplyStreaming,
            r#"{"code":"update_reply_streaming","message":"m"}"#,
        ),
        (
            ErrorCode::UpdateCheckoutPending,
            r#"{"code":"update_checkout_pending","message":"m"}"#,
        ),
        (ErrorCode::Ipc, r#"{"code":"ipc","message":"m"}"#),
        (
            ErrorCode::InvalidArguments,
            r#"{"code":"invalid_arguments","message":"m"}"#,
        ),
        (
            ErrorCode::OutputFailed,
            r#"{"code":"output_failed","message":"m"}"#,
        ),
        (ErrorCode::Internal, r#"{"code":"internal","message":"m"}"#),
    ];

    /// The `ApiError` for `code`: a real core error where the code carries
    /// extra fields (so their mapping is covered too), else a plain one.
    fn api_error_for(code: ErrorCode) -> ApiError {
        match code {
            ErrorCode::InsufficientCredits => Error::from(LedgerError::InsufficientCredits {
                needed: 3,
                available: 1,
            })
            .to_api(),
            ErrorCode::InvalidInput => {
                Error::from(ValidationError::Empty { field: "title" }).to_api()
            }
            other => ApiError::new(other, "m"),
        }
    }

    #[test]
    fn every_code_crosses_the_boundary_as_its_snapshot() {
        assert_eq!(
            SNAPSHOTS.len(),
            ErrorCode::ALL.len(),
            "one snapshot per code"
        );
        for &code in ErrorCode::ALL {
            let expected = SNAPSHOTS
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, json)| *json)
                .unwrap_or_else(|| panic!("no snapshot for {code:?}"));
            let actual = serde_json::to_string(&api_error_for(code)).unwrap();
            assert_eq!(actual, expected, "{code:?}");
        }
    }

    #[test]
    fn api_error_json_round_trips_its_code() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_value(api_error_for(code)).unwrap();
            let back: ErrorCode = serde_json::from_value(json["code"].clone()).unwrap();
            assert_eq!(back, code);
        }
    }
}
