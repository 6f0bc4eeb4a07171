//! banter-cli: Banter without a window, on the same core as the desktop app.
//!
//! This file only parses the command line, runs the command, and maps the
//! outcome to an exit code: 0 ok, 1 the user can fix it, 2 anything else.

mod args;
mod commands;
mod error;
mod output;
mod terminal;

use args::Cli;
use banter_core::{Core, CoreOptions};
use clap::error::ErrorKind;
use clap::Parser;
use error::CliError;
use output::Output;
use std::io::IsTerminal;
use std::process::ExitCode;

/// The binary's edge. Unlike the other binaries (the app, the mocks, the
/// benches), which return `anyhow::Result` from `main`, this one returns an
/// [`ExitCode`]: its exit codes (0, [`error::EXIT_USER`], [`error::EXIT_INTERNAL`])
/// and its `--json` error object are a documented interface that scripts and
/// tests rely on, and `anyhow`'s `main` would print `Error: …` and always
/// exit 1. Every failure is a typed [`CliError`] with a `code()` instead.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return parse_failed(&err),
    };
    init_logging();
    let json = cli.global.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            e.report(json);
            e.exit_code()
        }
    }
}

/// `--help` and `--version` are successes; any other parse failure is a
/// usage error (exit 1, where clap alone would exit 2).
fn parse_failed(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        return match err.print() {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(error::EXIT_INTERNAL),
        };
    }
    // Parsing failed, so `--json` is taken from the raw arguments.
    let json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    let e = CliError::from_clap(err);
    e.report(json);
    e.exit_code()
}

/// Logs go to stderr, and only when `RUST_LOG` asks for them, so normal
/// output stays clean for scripts.
fn init_logging() {
    if std::env::var_os("RUST_LOG").is_none_or(|v| v.is_empty()) {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn run(cli: Cli) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    // An empty BANTER_DATA_DIR means "not set", as in the core.
    let data_dir = cli.global.data_dir.filter(|d| !d.as_os_str().is_empty());
    let mut out = Output::new(cli.global.json);
    runtime.block_on(async {
        let core = Core::open(CoreOptions {
            data_dir,
            clock: None,
            secrets: None,
        })
        .await?;
        tracing::debug!(db = %core.db_path().display(), "opened");
        let result = commands::run(&core, cli.command, &mut out).await;
        core.close().await;
        result
    })
}
