//! Instances watching each other. Each instance records that it is alive
//! every [`HEARTBEAT_EVERY`]; one not seen for [`GONE_AFTER`] is gone (killed,
//! crashed, cut off), and the replies it was streaming are stranded. Any
//! instance then ends them with the core's rule (`recover_stranded`):
//! `interrupted` with the text that reached Postgres and charged once, or
//! refunded when nothing was streamed. The desktop's equivalent is a file
//! lock per process (the core's `liveness`); here the database is the only
//! thing instances share.

use crate::state::AppState;
use banter_core::chat::{recover_stranded, PgJournal};
use banter_core::jobs::recover_stranded_jobs;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

/// How often an instance says it is alive (and looks for stranded replies).
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// How long an instance may go unseen before its replies are ended by
/// another: several missed heartbeats, so a slow moment is not a death.
pub const GONE_AFTER: Duration = Duration::seconds(30);

/// Records that `name` is alive at `now`.
pub async fn beat(pool: &PgPool, name: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO server_instances (name, started_at, last_seen) VALUES ($1, $2, $2)
         ON CONFLICT (name) DO UPDATE SET last_seen = GREATEST(server_instances.last_seen, $2)",
    )
    .bind(name)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether instance `name` is gone at `now`: never seen, or not for
/// [`GONE_AFTER`].
pub async fn is_gone(pool: &PgPool, name: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let last_seen: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT last_seen FROM server_instances WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?;
    Ok(last_seen.is_none_or(|seen| now - seen > GONE_AFTER))
}

/// Ends the replies and paid jobs of instances that are gone; returns how
/// many.
pub async fn recover(state: &AppState) -> banter_core::Result<u32> {
    let now = state.clock.now();
    let pool = state.store.pool().clone();
    let journal = PgJournal::new(pool.clone());
    let is_gone = |owner: String| {
        let pool = pool.clone();
        async move { Ok(is_gone(&pool, &owner, now).await?) }
    };
    let replies = recover_stranded(&state.store, &state.ledger, &journal, is_gone, now).await?;
    let jobs = recover_stranded_jobs(&state.store, &state.ledger, is_gone, now).await?;
    Ok(replies + jobs)
}

/// Until the process ends: say this instance is alive, and end the replies
/// of instances that are not. Failures are logged and tried again at the
/// next beat (Postgres may be restarting).
pub async fn keep_alive(state: AppState) {
    let mut ticks = tokio::time::interval(HEARTBEAT_EVERY);
    loop {
        ticks.tick().await;
        if let Err(error) = beat(state.store.pool(), &state.instance, state.clock.now()).await {
            tracing::warn!(%error, "could not record this instance's heartbeat");
            continue;
        }
        match recover(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(recovered = n, "ended replies of an instance that is gone"),
            Err(error) => {
                tracing::warn!(code = %error.code(), "looking for stranded replies failed")
            }
        }
    }
}

/// At a clean shutdown: this instance is gone now, so nothing waits
/// [`GONE_AFTER`] for it.
pub async fn leave(pool: &PgPool, name: &str) {
    if let Err(error) = sqlx::query("DELETE FROM server_instances WHERE name = $1")
        .bind(name)
        .execute(pool)
        .await
    {
        tracing::warn!(%error, "could not record this instance's exit");
    }
}
