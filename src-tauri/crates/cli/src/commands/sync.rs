//! `sync`: sends the edits made here while the server could not be
//! reached, pulls the account's changes from the server into this
//! computer's copy, and reports how many went each way.

use crate::error::CliError;
use crate::output::Output;
use banter_core::hosted::{HostedError, HostedHistory};
use serde::Serialize;

/// What `sync --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Synced {
    /// Changes read from the server.
    pulled: usize,
    /// Edits made while the server could not be reached, sent now.
    pushed: usize,
    /// Of those, the ones the server refused, as the user should hear it.
    refused: Vec<String>,
    /// The feed position this computer's copy has reached.
    cursor: i64,
    /// Conversations that changed.
    sessions: usize,
}

pub async fn run(history: Option<HostedHistory>, out: &mut Output) -> Result<(), CliError> {
    let Some(history) = history else {
        return Err(HostedError::NotSignedIn(
            "sync keeps a signed-in account's copy; sign in with `banter-cli account login --server URL`"
                .into(),
        )
        .into());
    };
    let pulled = history.pull().await?;
    let synced = Synced {
        pulled: pulled.changes,
        pushed: pulled.pushed,
        refused: pulled.refused,
        cursor: pulled.cursor,
        sessions: pulled.sessions.len(),
    };
    out.emit(&synced, |w| {
        writeln!(
            w,
            "{} changes in, {} out; {} conversations changed (at {})",
            synced.pulled, synced.pushed, synced.sessions, synced.cursor
        )?;
        for refused in &synced.refused {
            writeln!(w, "not made: {refused}")?;
        }
        Ok(())
    })
}
