//! Instances watching each other. Each instance records that it is alive
//! every [`HEARTBEAT_EVERY`]; one not seen for [`GONE_AFTER`] is gone (killed,
//! crashed, cut off), and the replies it was streaming are stranded. Any
//! instance then ends them with the core's rule (`recover_stranded`):
//! `interrupted` with the text that reached Postgres and charged once, or
//! refunded when nothing was streamed; a row unseen for [`FORGOTTEN_AFTER`]
//! is then deleted. The desktop's equivalent is a file
//! lock per process (the core's `liveness`); here the database is the only
//! thing instances share.

use crate::state::AppState;
use banter_core::chat::{recover_stranded, Liveness, LivenessFuture, PgJournal};
use banter_core::clock::SharedClock;
use banter_core::jobs::recover_stranded_jobs;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

/// The channel a stop request for a reply goes out on (its payload is the
/// session's row id): whichever instance streams the reply stops it (its
/// listener, `crate::listener`, hears it).
pub const STOP_CHANNEL: &str = "banter_reply_stop";

/// How often an instance says it is alive (and looks for stranded replies).
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// How long an instance may go unseen before its replies are ended by
/// another: several missed heartbeats, so a slow moment is not a death.
pub const GONE_AFTER: Duration = Duration::seconds(30);
/// An instance unseen for this many times [`GONE_AFTER`] is forgotten: its
/// row is deleted once no reply or paid job of its is left to end (each
/// crashed or killed process leaves a row behind, as every start has a
/// name of its own). Many beats past gone, so every live instance has long
/// had its turn at recovering after it.
pub const FORGOTTEN_AFTER_GONE: i32 = 20;
/// [`FORGOTTEN_AFTER_GONE`] times [`GONE_AFTER`].
pub const FORGOTTEN_AFTER: Duration =
    Duration::seconds(GONE_AFTER.num_seconds() * FORGOTTEN_AFTER_GONE as i64);

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

/// Ends the replies and paid jobs of instances that are gone (by
/// [`InstanceLiveness`]'s rule, the one a send asks); returns how many.
pub async fn recover(state: &AppState) -> banter_core::Result<u32> {
    let now = state.clock.now();
    let pool = state.store.pool().clone();
    let journal = PgJournal::new(pool.clone());
    let liveness = InstanceLiveness::new(pool, state.instance.clone(), state.clock.clone());
    let is_gone = |owner: String| {
        let liveness = &liveness;
        async move { liveness.is_gone(&owner).await }
    };
    let replies = recover_stranded(&state.store, &state.ledger, &journal, is_gone, now).await?;
    let jobs = recover_stranded_jobs(&state.store, &state.ledger, is_gone, now).await?;
    Ok(replies + jobs)
}

/// Deletes the rows of instances unseen for [`FORGOTTEN_AFTER`] that own
/// no streaming reply and no running job; returns how many. One statement,
/// so instances doing it at once are safe: a row is deleted once, and one
/// whose instance beats again meanwhile is re-checked and kept.
pub async fn forget_gone(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM server_instances i
          WHERE i.last_seen < $1
            AND NOT EXISTS (SELECT 1 FROM chat_messages m
                             WHERE m.status = 'streaming' AND m.stream_owner = i.name)
            AND NOT EXISTS (SELECT 1 FROM project_jobs j
                             WHERE j.status = 'running' AND j.owner = i.name)",
    )
    .bind(now - FORGOTTEN_AFTER)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// One heartbeat's work: say this instance is alive, end the replies of
/// instances that are gone, and forget those long gone. Failures are
/// logged and tried again at the next beat (Postgres may be restarting).
pub async fn look_after(state: &AppState) {
    let now = state.clock.now();
    if let Err(error) = beat(state.store.pool(), &state.instance, now).await {
        tracing::warn!(%error, "could not record this instance's heartbeat");
        return;
    }
    match recover(state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(recovered = n, "ended replies of an instance that is gone"),
        Err(error) => {
            tracing::warn!(code = %error.code(), "looking for stranded replies failed")
        }
    }
    match forget_gone(state.store.pool(), now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(forgotten = n, "forgot instances long gone"),
        Err(error) => tracing::warn!(%error, "could not forget instances long gone"),
    }
}

/// Until the process ends: [`look_after`] every [`HEARTBEAT_EVERY`].
pub async fn keep_alive(state: AppState) {
    let mut ticks = tokio::time::interval(HEARTBEAT_EVERY);
    loop {
        ticks.tick().await;
        look_after(&state).await;
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

/// The server's [`Liveness`]: replies are stamped with the instance's name,
/// and another instance is alive while its heartbeat is fresh.
#[derive(Debug)]
pub struct InstanceLiveness {
    pool: PgPool,
    name: String,
    clock: SharedClock,
}

impl InstanceLiveness {
    pub fn new(pool: PgPool, name: String, clock: SharedClock) -> Self {
        Self { pool, name, clock }
    }
}

impl Liveness for InstanceLiveness {
    fn owner(&self) -> &str {
        &self.name
    }

    /// Gone: never seen, or not for [`GONE_AFTER`].
    fn is_gone<'a>(&'a self, owner: &'a str) -> LivenessFuture<'a> {
        Box::pin(async move {
            let last_seen: Option<DateTime<Utc>> =
                sqlx::query_scalar("SELECT last_seen FROM server_instances WHERE name = $1")
                    .bind(owner)
                    .fetch_optional(&self.pool)
                    .await?;
            let now = self.clock.now();
            Ok(last_seen.is_none_or(|seen| now - seen > GONE_AFTER))
        })
    }
}

/// Asks whichever instance streams the reply in `session_id` to stop it.
pub async fn request_stop(pool: &PgPool, session_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(STOP_CHANNEL)
        .bind(session_id.to_string())
        .execute(pool)
        .await?;
    Ok(())
}
