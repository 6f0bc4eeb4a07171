//! The instance's one Postgres listener: a single pooled connection that
//! LISTENs on every channel the instances talk on, for as long as the
//! instance runs — stop requests for replies streaming here
//! (`instances::request_stop`) and accounts whose records changed (announced
//! by `changes::wakes`). One connection, however many subscribers:
//! the pool is small on purpose (`config::DEFAULT_MAX_CONNECTIONS`).
//!
//! Notifications are not queued for a listener that is away: after its
//! connection comes back, every account with subscribers here is read
//! once from the database, so no change is missed; a stop asked meanwhile
//! is lost (the user can ask again).

use crate::changes::{self, feed};
use crate::instances::STOP_CHANNEL;
use crate::state::AppState;
use sqlx::postgres::{PgListener, PgNotification};
use std::time::Duration;

/// How long to wait before connecting again after the listener failed.
pub const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// Until the process ends: hear the instances' channels and act on them.
pub async fn listen(state: AppState) {
    loop {
        match PgListener::connect_with(state.store.pool()).await {
            Ok(mut listener) => match listener.listen_all([STOP_CHANNEL, changes::CHANNEL]).await {
                Ok(()) => {
                    catch_up(&state).await;
                    hear(&state, &mut listener).await;
                }
                Err(error) => tracing::warn!(%error, "cannot listen for notifications"),
            },
            Err(error) => tracing::warn!(%error, "cannot listen for notifications"),
        }
        tokio::time::sleep(RELISTEN_AFTER).await;
    }
}

/// Acts on notifications until the connection fails for good.
async fn hear(state: &AppState, listener: &mut PgListener) {
    loop {
        match listener.try_recv().await {
            Ok(Some(note)) => act_on(state, &note),
            // The connection was lost and is back (listening again): what
            // was said meanwhile is gone, so read where accounts are.
            Ok(None) => {
                tracing::warn!("notifications: connection lost and opened again");
                catch_up(state).await;
            }
            Err(error) => {
                tracing::warn!(%error, "notifications: connection lost");
                return;
            }
        }
    }
}

fn act_on(state: &AppState, note: &PgNotification) {
    match note.channel() {
        STOP_CHANNEL => {
            if let Ok(session_id) = note.payload().parse::<i64>() {
                state.claims.stop(session_id);
            }
        }
        changes::CHANNEL => state.changes.announce_notification(note.payload()),
        _ => {}
    }
}

/// Announces the current position of every account with subscribers here
/// (once listening, so a change after this read is heard).
async fn catch_up(state: &AppState) {
    let watched = state.changes.watched();
    if watched.is_empty() {
        return;
    }
    match feed::heads(state.store.pool(), &watched).await {
        Ok(heads) => {
            for (user_id, position) in heads {
                state.changes.announce(&user_id, position);
            }
        }
        Err(error) => tracing::warn!(%error, "could not read the accounts' feed positions"),
    }
}
