//! `account import [--remove-local]`: this computer's local-mode history
//! (conversations with their messages, projects with their tasks and saved
//! pages) imported into the signed-in account, once — an import cut off
//! resumes where it stopped, and one that completed sends nothing. The
//! core does the work (`banter_core::hosted::HistoryImport`).

use crate::error::CliError;
use crate::output::Output;
use banter_core::hosted::{HostedError, ImportCounts, ImportReport, RemovedLocal};
use banter_core::Core;
use serde::Serialize;

/// What `account import --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Imported {
    #[serde(flatten)]
    report: ImportReport,
    /// Nothing on this computer is left to import (records that cannot be
    /// imported, `notImportable`, stay here and do not count).
    complete: bool,
    /// With `--remove-local` after a complete import.
    removed_local: Option<RemovedLocal>,
}

/// Said with every import: the local ledger stays behind.
const CREDITS_NOTE: &str =
    "local-mode credits are not transferred (they were never paid for); the import charged nothing";

pub async fn run(core: &Core, remove_local: bool, out: &mut Output) -> Result<(), CliError> {
    let Some(import) = core.history_import().await? else {
        return Err(HostedError::NotSignedIn(
            "import copies this computer's history into an account; sign in with `banter-cli account login --server URL`"
                .into(),
        )
        .into());
    };
    let report = import.run(|_| {}).await?;
    let complete = import.status().await?.is_complete();
    let removed_local = if remove_local && complete {
        Some(import.remove_imported().await?)
    } else {
        None
    };
    let view = Imported {
        report,
        complete,
        removed_local,
    };
    out.emit(&view, |w| {
        writeln!(w, "imported: {}", counts(&report.imported))?;
        writeln!(w, "already imported: {}", counts(&report.already_imported))?;
        if report.not_importable > 0 {
            writeln!(
                w,
                "cannot be imported (too large for one request, or refused by the server's rules): {} — kept on this computer",
                report.not_importable
            )?;
        }
        if !complete {
            writeln!(w, "some records are not imported yet; run the import again")?;
        }
        if remove_local && !complete {
            writeln!(w, "nothing removed from this computer: the import is not complete")?;
        }
        if let Some(removed) = view.removed_local {
            writeln!(
                w,
                "removed from this computer: {} conversations, {} projects ({} changed here since the import kept)",
                removed.sessions, removed.projects, removed.kept_changed
            )?;
        }
        writeln!(w, "{CREDITS_NOTE}")
    })
}

fn counts(c: &ImportCounts) -> String {
    format!(
        "{} conversations ({} messages), {} projects ({} tasks, {} saved pages)",
        c.sessions, c.messages, c.projects, c.tasks, c.pages
    )
}
