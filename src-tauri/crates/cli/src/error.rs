//! What can go wrong in the CLI and how it is reported: exit code 1 for
//! something the user can fix, 2 for a failure of the machine or program,
//! always as exactly one line on stderr (text, or the core's `ApiError` JSON).

use banter_core::validate::ValidationError;
use banter_core::{ApiError, ErrorCode};
use std::io::{self, Write};
use std::process::ExitCode;

/// Exit code for errors the user can fix (bad input, unknown id, usage).
pub const EXIT_USER: u8 = 1;
/// Exit code for everything else (corrupt database, I/O, bugs).
pub const EXIT_INTERNAL: u8 = 2;

#[derive(Debug)]
pub enum CliError {
    /// From the core, which knows whether the user can fix it.
    Core(banter_core::Error),
    /// The command line itself was wrong (unknown command, bad value).
    Usage(String),
    /// Writing the output failed.
    Output(io::Error),
    /// Anything else outside the core (e.g. the async runtime would not start).
    Internal(String),
}

impl CliError {
    /// Builds a one-line usage error from clap's multi-line report.
    pub fn from_clap(err: &clap::Error) -> Self {
        let rendered = err.render().to_string();
        let parts: Vec<&str> = rendered
            .lines()
            .map(str::trim)
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .filter(|l| !l.is_empty())
            .collect();
        let joined = parts.join("; ");
        let message = joined.strip_prefix("error: ").unwrap_or(&joined);
        Self::Usage(format!("{message}; see --help"))
    }

    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Core(e) => e.is_user_error(),
            Self::Usage(_) => true,
            Self::Output(_) | Self::Internal(_) => false,
        }
    }

    /// The consumer of our stdout went away (`banter-cli ledger | head`):
    /// not worth an error message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(if self.is_user_error() {
            EXIT_USER
        } else {
            EXIT_INTERNAL
        })
    }

    /// The same shape the desktop UI receives, so scripts can branch on `code`.
    pub fn to_api(&self) -> ApiError {
        let plain = |code: ErrorCode, message: String| ApiError {
            code,
            message,
            needed: None,
            available: None,
            field: None,
        };
        match self {
            Self::Core(e) => e.to_api(),
            Self::Usage(m) => plain(ErrorCode::InvalidArguments, m.clone()),
            Self::Output(e) => plain(
                ErrorCode::OutputFailed,
                format!("cannot write the output: {e}"),
            ),
            Self::Internal(m) => plain(ErrorCode::Internal, m.clone()),
        }
    }

    /// Prints the error as one line on stderr. The message may quote a
    /// provider or web server, so in text form it is made inert; the JSON
    /// form keeps it exact.
    pub fn report(&self, json: bool) {
        let api = self.to_api();
        let line = if json {
            serde_json::to_string(&api).unwrap_or_else(|_| {
                format!(r#"{{"code":"{}","message":"unprintable error"}}"#, api.code)
            })
        } else {
            format!("error: {}", crate::terminal::cell(&one_line(&api.message)))
        };
        // Nowhere left to report a failure to write to stderr.
        let _ = writeln!(io::stderr().lock(), "{line}");
    }
}

/// Folds line breaks so an error is always a single line.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_api().message)
    }
}

impl std::error::Error for CliError {}

impl From<banter_core::Error> for CliError {
    fn from(e: banter_core::Error) -> Self {
        Self::Core(e)
    }
}

impl From<ValidationError> for CliError {
    fn from(e: ValidationError) -> Self {
        Self::Core(e.into())
    }
}

impl From<banter_core::hosted::HostedError> for CliError {
    fn from(e: banter_core::hosted::HostedError) -> Self {
        Self::Core(e.into())
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        Self::Output(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_classification() {
        let not_found = CliError::from(banter_core::Error::not_found("chat session", "CH-000009"));
        assert!(not_found.is_user_error());
        assert_eq!(not_found.to_api().code, ErrorCode::NotFound);
        assert!(!CliError::Internal("boom".into()).is_user_error());
        assert!(CliError::Usage("bad".into()).is_user_error());
    }

    #[test]
    fn messages_fold_to_one_line() {
        assert_eq!(one_line("a\n  b\r\n\nc"), "a b c");
    }
}
