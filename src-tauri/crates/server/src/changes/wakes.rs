//! Announcing the accounts whose feeds moved. A transaction that changes an
//! account's records leaves the account in `account_change_wakes` (the
//! feed's note, `migrations/postgres/0012_wakes_after_commit.sql`, which
//! says why this is not a NOTIFY in the writer's own transaction); each
//! instance takes the waiting accounts every [`WAKE_INTERVAL`] and
//! notifies [`super::CHANNEL`] for them, in one short transaction of its
//! own. Every instance's listener hears the notification
//! (`crate::listener`), whichever instance sent it.

use super::CHANNEL;
use sqlx::PgPool;
use std::time::Duration;

/// How often an instance looks for accounts to wake: what it adds to the
/// time a change takes to reach a following device (at most this, half of
/// it on average), far inside the two seconds sync allows.
pub const WAKE_INTERVAL: Duration = Duration::from_millis(20);

/// The most accounts one round announces; a fuller table is taken in
/// further rounds at once.
pub const WAKES_PER_ROUND: i64 = 1000;

/// How long to wait after a failed round (Postgres away): the listener
/// catches up on its own once the connection is back, so nothing is lost
/// by waiting, and the log is not flooded.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Until the process ends: announce the waiting accounts every
/// [`WAKE_INTERVAL`]. A failed round is logged and tried again after
/// [`RETRY_AFTER`].
pub async fn announce(pool: PgPool) {
    let mut ticks = tokio::time::interval(WAKE_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        loop {
            match announce_once(&pool).await {
                Ok(woken) if woken >= WAKES_PER_ROUND => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "could not announce the accounts' changes");
                    tokio::time::sleep(RETRY_AFTER).await;
                    break;
                }
            }
        }
    }
}

/// One round: takes up to [`WAKES_PER_ROUND`] waiting accounts and
/// notifies each with its position, in one transaction (a row is gone only
/// if its notification is sent). Rows a writer holds now are skipped: they
/// are taken at the next round. Returns how many accounts were announced.
pub async fn announce_once(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "WITH picked AS (
             SELECT user_id FROM account_change_wakes
              FOR UPDATE SKIP LOCKED LIMIT $2),
         woken AS (
             DELETE FROM account_change_wakes w USING picked
              WHERE w.user_id = picked.user_id
              RETURNING w.user_id, w.position)
         SELECT count(pg_notify($1, position || ':' || user_id)) FROM woken",
    )
    .bind(CHANNEL)
    .bind(WAKES_PER_ROUND)
    .fetch_one(pool)
    .await
}
