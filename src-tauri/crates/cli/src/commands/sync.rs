//! `sync`: pulls the account's changes from the server into this
//! computer's copy, and reports how many came in.

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
    /// Edits sent to the server (this computer queues none yet: every edit
    /// goes to the server at once).
    pushed: usize,
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
        pushed: 0,
        cursor: pulled.cursor,
        sessions: pulled.sessions.len(),
    };
    out.emit(&synced, |w| {
        writeln!(
            w,
            "{} changes in, {} out; {} conversations changed (at {})",
            synced.pulled, synced.pushed, synced.sessions, synced.cursor
        )
    })
}
