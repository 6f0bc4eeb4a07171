//! Pulling the account's change feed ([`super::changes`]) into this
//! computer's copy ([`super::replica`]): what `banter-cli sync` and the
//! app's live subscription run.

use super::changes::{Changed, CHANGES_PAGE};
use super::history::HostedHistory;
use super::replica::ACCOUNTS_DIR;
use super::replica_sync::Pulled;
use crate::db::DbError;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::PathBuf;

impl HostedHistory {
    /// Sends the edits queued offline ([`Self::push`]), then reads the
    /// feed from where the copy stopped to its end and applies it to the
    /// copy; what changed is returned. Only the account's own
    /// changes are ever read (the server answers for the caller's token),
    /// and the copy is the account's own file.
    pub async fn pull(&self) -> Result<Pulled> {
        let Some(copy) = self.copy() else {
            return Err(Error::Db(DbError::Io {
                path: PathBuf::from(ACCOUNTS_DIR),
                source: std::io::Error::other(
                    "this computer's copy of the account could not be opened (see the log)",
                ),
            }));
        };
        let pushed = self.push().await?;
        let mut after = copy.cursor().await?;
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
            after = page.cursor;
            if !page.more {
                break;
            }
        }
        let mut changes: Vec<(i64, Changed)> = latest.into_values().collect();
        changes.sort_by_key(|(position, _)| *position);
        let mut pulled = copy
            .apply(changes.into_iter().map(|(_, c)| c).collect(), after)
            .await?;
        pulled.changes = read;
        pulled.pushed = pushed.sent;
        pulled.refused = pushed.refused;
        Ok(pulled)
    }
}
