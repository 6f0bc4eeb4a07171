//! Pulling the account's change feed ([`super::changes`]) into this
//! computer's copy ([`super::replica`]): what `banter-cli sync` and the
//! app's live subscription run.

use super::changes::{Changed, CHANGES_PAGE};
use super::error::HostedError;
use super::history::HostedHistory;
use super::outbox::Pushed;
use super::replica::{Replica, ACCOUNTS_DIR};
use super::replica_sync::Pulled;
use crate::db::DbError;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// How many times a pull starts again when another process on this
/// profile moved the copy on while it read (each try reads only what that
/// one did not).
const PULL_TRIES: usize = 5;

/// How long [`HostedHistory::catch_up`] may take before the caller goes on
/// with the copy as it is: long enough for a pull of a busy day's changes
/// on a slow link, short enough that a server that does not answer (a
/// dropped connection, a captive portal) does not hang a command.
pub const CATCH_UP_WITHIN: Duration = Duration::from_secs(5);

impl HostedHistory {
    /// Sends the edits queued offline ([`Self::push`]), then reads the
    /// feed from where the copy stopped to its end and applies it to the
    /// copy; what changed is returned. Only the account's own changes are
    /// ever read (the server answers for the caller's token), and the copy
    /// is the account's own file. One push-and-pull at a time per process.
    pub async fn pull(&self) -> Result<Pulled> {
        let Some(copy) = self.copy() else {
            return Err(Error::Db(DbError::Io {
                path: PathBuf::from(ACCOUNTS_DIR),
                source: std::io::Error::other(
                    "this computer's copy of the account could not be opened (see the log)",
                ),
            }));
        };
        let _one_at_a_time = copy.sync_turn().await;
        let pushed = match self.push_locked(copy).await {
            Ok(pushed) => pushed,
            Err(Error::Hosted(offline @ HostedError::Offline { .. })) => return Err(offline.into()),
            // Signed out (the copy is gone with the sign-in): nothing to
            // pull into, and the caller must hear it.
            Err(
                signed_out @ Error::Hosted(
                    HostedError::SignedOut { .. } | HostedError::NotSignedIn(_),
                ),
            ) => return Err(signed_out),
            // A queued edit the server fails on (not refuses) stays queued
            // for the next push; the account's changes still come in.
            Err(error) => {
                tracing::warn!(code = %error.code(), "queued edits not sent; pulling all the same");
                Pushed::default()
            }
        };
        let mut tries = 0;
        let mut pulled = loop {
            tries += 1;
            if let Some(pulled) = self.pull_once(copy).await? {
                break pulled;
            }
            if tries == PULL_TRIES {
                // Another process keeps pulling: what it applies is as new.
                break Pulled {
                    cursor: copy.cursor().await?,
                    ..Pulled::default()
                };
            }
        };
        pulled.pushed = pushed.sent;
        pulled.refused = pushed.refused;
        Ok(pulled)
    }

    /// What each `banter-cli` command does first, signed in: sends the
    /// edits queued offline and pulls the account's changes, for at most
    /// [`CATCH_UP_WITHIN`]. `Ok(None)` when that could not be done (no
    /// copy, the server cannot be reached or failed, or it took too long):
    /// the command then works from the copy as it is, and the queue waits
    /// for the next one. The one failure returned is the server saying this
    /// device is signed out ([`HostedError::SignedOut`]): the command must
    /// not go on as if nothing happened. A pull cut short keeps nothing of
    /// itself (each page set is applied in one transaction), and an edit
    /// whose answer was not read stays queued and is sent again, which
    /// changes nothing more.
    pub async fn catch_up(&self) -> Result<Option<Pulled>> {
        if self.copy().is_none() {
            return Ok(None);
        }
        match tokio::time::timeout(CATCH_UP_WITHIN, self.pull()).await {
            Ok(Ok(pulled)) => Ok(Some(pulled)),
            Ok(Err(signed_out @ Error::Hosted(HostedError::SignedOut { .. }))) => Err(signed_out),
            Ok(Err(error)) => {
                tracing::info!(code = %error.code(), "not caught up with the server; working from this computer's copy");
                Ok(None)
            }
            Err(_) => {
                tracing::info!(
                    "catching up with the server took too long; working from this computer's copy"
                );
                Ok(None)
            }
        }
    }

    /// Reads the feed after the copy's cursor and applies it; `None` when
    /// another process moved the copy on meanwhile.
    async fn pull_once(&self, copy: &Replica) -> Result<Option<Pulled>> {
        let from = copy.cursor().await?;
        let mut after = from;
        // Each record once, as of its latest change read: a record changed
        // again while the pages were read appears again further on.
        let mut latest: HashMap<(String, i64), (i64, Changed)> = HashMap::new();
        let mut read = 0;
        loop {
            let page = self.client().changes(after, CHANGES_PAGE).await?;
            read += page.changes.len();
            for change in page.changes {
                let key = (change.kind.clone(), change.id);
                let position = change.position;
                latest.insert(key, (position, change.read()?));
            }
            // A page that says "more" must move on, or it would be read
            // again and again.
            let moved = page.cursor > after;
            after = page.cursor.max(after);
            if !page.more || !moved {
                break;
            }
        }
        let mut changes: Vec<(i64, Changed)> = latest.into_values().collect();
        changes.sort_by_key(|(position, _)| *position);
        let applied = copy
            .apply(changes.into_iter().map(|(_, c)| c).collect(), from, after)
            .await?;
        Ok(applied.map(|mut pulled| {
            pulled.changes = read;
            pulled
        }))
    }
}
