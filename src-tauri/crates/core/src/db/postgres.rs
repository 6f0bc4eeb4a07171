//! The server's Postgres: connecting and migrating. The desktop never opens
//! one; `banter-server` does, and hands the [`PgStore`] to the ledger and
//! the other stores (see [`crate::ledger::rows`]).

use crate::error::Result;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// `migrations/postgres/`, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("../../../migrations/postgres");

/// How long a request waits for a free connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

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
