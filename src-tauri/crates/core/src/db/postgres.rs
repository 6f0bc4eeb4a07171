//! The server's Postgres: connecting and migrating. The desktop never opens
//! one; `banter-server` does, and hands the [`PgStore`] to the ledger and
//! the other stores (see [`crate::ledger::rows`]).

use crate::error::Result;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection as _, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// `migrations/postgres/`, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("../../../migrations/postgres");

/// How long a request waits for a free connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled connection idle longer than this is pinged before it is handed
/// out (a dead one is then replaced, not given to a request). One idle for
/// less was pinged when it came back to the pool (sqlx does that on every
/// release), so pinging it again would only cost a round trip: with a few
/// statements per pooled use, that was a third of a send's round trips.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("DATABASE_URL is not a Postgres URL: {0}")]
    BadUrl(String),
    #[error("cannot apply the server's database migrations: {0}")]
    Migration(String),
}

/// A pool on the server's Postgres.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects lazily: the pool opens connections on first use, so a server
    /// starts (and answers `/healthz`) while Postgres is still coming up.
    pub fn connect_lazy(url: &str, max_connections: u32) -> std::result::Result<Self, PgError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| PgError::BadUrl(e.to_string()))?
            // Statements carry message text and tokens; never log them.
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    /// Applies pending migrations. sqlx takes a Postgres advisory lock for
    /// the run, so instances starting together migrate one after another
    /// and the later ones find nothing to do.
    pub async fn migrate(&self) -> std::result::Result<(), PgError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| PgError::Migration(e.to_string()))
    }

    /// True when the database answers and every migration this build knows
    /// is applied (what `/readyz` reports).
    pub async fn ready(&self) -> Result<bool> {
        let applied: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM _sqlx_migrations WHERE success AND version = ANY($1)",
        )
        .bind(MIGRATOR.iter().map(|m| m.version).collect::<Vec<_>>())
        .fetch_one(&self.pool)
        .await?;
        Ok(usize::try_from(applied).is_ok_and(|n| n == MIGRATOR.iter().count()))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
