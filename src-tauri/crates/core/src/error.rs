//! The core's error type and its serializable form for the shells.
//!
//! Each module owns a `thiserror` enum for its own failures; [`Error`] gathers
//! them so callers handle one type, and [`ApiError`] is what crosses into the
//! UI or the CLI's `--json` output: a stable `code` to branch on, a readable
//! `message`, and the few fields a screen needs (e.g. `needed`/`available`).

use crate::chat::ChatError;
use crate::db::DbError;
use crate::ledger::LedgerError;
use crate::providers::ProviderError;
use crate::validate::ValidationError;
use serde::Serialize;

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
    Journal(#[from] crate::chat::JournalError),
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Billing(#[from] crate::billing::BillingError),
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
    pub fn code(&self) -> &'static str {
        match self {
            Self::Db(e) => e.code(),
            Self::Ledger(e) => e.code(),
            Self::Invalid(_) => "invalid_input",
            Self::Provider(e) => e.code(),
            Self::Chat(e) => e.code(),
            Self::Journal(e) => e.code(),
            Self::Settings(e) => e.code(),
            Self::Secret(e) => e.code(),
            Self::Billing(e) => e.code(),
            Self::Generation(e) => e.code(),
            Self::Scrape(e) => e.code(),
            Self::Job(e) => e.code(),
            Self::NotFound { .. } => "not_found",
            Self::Sqlx(e) if sqlite_code(e) == Some(5) || sqlite_code(e) == Some(6) => {
                "database_busy"
            }
            Self::Sqlx(e) if sqlite_code(e) == Some(11) || sqlite_code(e) == Some(26) => {
                "database_corrupt"
            }
            Self::Sqlx(_) => "database",
        }
    }

    /// True when the user can fix it (bad input, not enough credits, unknown
    /// id); false for failures of the machine or of the program.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Db(e) => e.is_user_error(),
            Self::Ledger(e) => e.is_user_error(),
            Self::Invalid(_) | Self::NotFound { .. } | Self::Chat(_) => true,
            // The disk's fault (full, read-only, removed): not the user's input.
            Self::Journal(_) => false,
            Self::Provider(e) => e.is_user_error(),
            Self::Settings(_) | Self::Secret(_) => true,
            Self::Billing(e) => !e.is_transient(),
            // The model's fault, not the user's: they can only try again.
            Self::Generation(_) => false,
            Self::Scrape(e) => e.is_user_error(),
            Self::Job(_) => true,
            Self::Sqlx(_) => false,
        }
    }

    pub fn to_api(&self) -> ApiError {
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
            code: self.code().to_string(),
            message: self.to_string(),
            needed,
            available,
            field,
        }
    }
}

/// SQLite's primary result code (5 busy, 6 locked, 11 corrupt, 26 not a
/// database), from the low byte of an extended code.
pub(crate) fn sqlite_code(e: &sqlx::Error) -> Option<i32> {
    match e {
        sqlx::Error::Database(d) => d
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff),
        _ => None,
    }
}

/// The serializable error handed to the UI and printed by the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub code: String,
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
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
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
