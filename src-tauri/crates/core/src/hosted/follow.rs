//! Following the signed-in account's changes while the app runs: pull the
//! change feed into this computer's copy at once, then whenever the
//! server's change stream says the feed moved, and announce what changed
//! ([`DomainEvent::Synced`], and the balance as
//! [`DomainEvent::CreditsChanged`] when the ledger moved).
//!
//! The sign-in can change under the follower (signed out in the app, or by
//! the CLI on the same profile): it looks again every [`RECHECK_EVERY`] and
//! follows the new account, or none. A stream that breaks (offline, the
//! server restarting) is opened again after a pause that doubles up to
//! [`MAX_PAUSE`]; the feed's cursor makes resuming lose nothing.

use super::accounts::{HostedAccount, HostedAccounts};
use super::history::HostedHistory;
use crate::error::Result;
use crate::events::DomainEvent;
use futures_util::StreamExt;
use std::time::Duration;

/// How often the follower checks that the profile is still signed in to
/// the account it follows.
pub const RECHECK_EVERY: Duration = Duration::from_secs(2);
/// The first pause after the stream broke.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// The longest pause between tries.
pub const MAX_PAUSE: Duration = Duration::from_secs(30);

/// Why following one sign-in stopped.
enum Stopped {
    /// The profile's sign-in is not the one followed any more.
    SignInChanged,
    /// The stream or a pull failed; try again after a pause.
    Broke,
}

impl HostedAccounts {
    /// Follows the profile's signed-in account for as long as the process
    /// runs (the app spawns it once); in local mode it only watches for a
    /// sign-in.
    pub async fn follow(self) {
        let mut pause = FIRST_PAUSE;
        loop {
            let account = match self.account().await {
                Ok(account) => account,
                Err(error) => {
                    tracing::warn!(code = %error.code(), "cannot read the sign-in to follow it");
                    None
                }
            };
            let Some(account) = account else {
                tokio::time::sleep(RECHECK_EVERY).await;
                continue;
            };
            let stopped = self.follow_one(&account).await;
            // Signed out (or in as someone else) while following: a copy
            // the follower opened as the sign-out removed it must not stay
            // on this computer. The same account signed in again keeps its
            // copy (the same directory).
            let followed = self.copies.dir_of(&account);
            let gone = match self.account().await {
                Ok(Some(now)) => self.copies.dir_of(&now) != followed,
                Ok(None) => true,
                Err(_) => false,
            };
            if gone {
                self.copies.remove_unless_kept(&followed).await;
            }
            match stopped {
                Stopped::SignInChanged => pause = FIRST_PAUSE,
                Stopped::Broke => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
            }
        }
    }

    /// Follows `account` until its stream breaks or the sign-in changes.
    async fn follow_one(&self, account: &HostedAccount) -> Stopped {
        let history = match self.history().await {
            Ok(Some(history)) => history,
            Ok(None) => return Stopped::SignInChanged,
            Err(_) => return Stopped::Broke,
        };
        if self.pull_and_announce(&history).await.is_err() {
            return Stopped::Broke;
        }
        let Some(copy) = history.copy() else {
            return Stopped::Broke;
        };
        let Ok(cursor) = copy.cursor().await else {
            return Stopped::Broke;
        };
        let stream = match history.client().watch_changes(cursor).await {
            Ok(stream) => stream,
            Err(_) => return Stopped::Broke,
        };
        let mut stream = std::pin::pin!(stream);
        let mut recheck = tokio::time::interval(RECHECK_EVERY);
        loop {
            tokio::select! {
                moved = stream.next() => match moved {
                    Some(Ok(position)) => {
                        let behind = copy.cursor().await.map_or(true, |at| at < position);
                        if behind && self.pull_and_announce(&history).await.is_err() {
                            return Stopped::Broke;
                        }
                    }
                    Some(Err(_)) | None => return Stopped::Broke,
                },
                _ = recheck.tick() => {
                    if !matches!(self.account().await, Ok(Some(now)) if now == *account) {
                        return Stopped::SignInChanged;
                    }
                }
            }
        }
    }

    /// Pulls the feed into the copy and announces what changed.
    async fn pull_and_announce(&self, history: &HostedHistory) -> Result<()> {
        let pulled = history.pull().await?;
        if !pulled.sessions.is_empty() || pulled.projects || !pulled.refused.is_empty() {
            self.events.emit(DomainEvent::Synced {
                sessions: pulled.sessions.clone(),
                projects: pulled.projects,
                refused: pulled.refused.clone(),
            });
        }
        if pulled.ledger {
            let balance = history.client().balance().await?;
            self.events.emit(DomainEvent::CreditsChanged {
                remaining: balance.remaining,
                total: balance.total,
            });
        }
        Ok(())
    }
}
