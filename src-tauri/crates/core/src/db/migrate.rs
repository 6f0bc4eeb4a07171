//! Forward-only schema migrations from `migrations/`, applied at start-up
//! (under the open lock that `Db::open` holds, so two processes starting at
//! once never migrate together).
//!
//! Before a pending migration touches a database that already holds data, a
//! consistent copy is written to `backups/` (`VACUUM INTO`, safe under WAL).

use super::{paths, Db, DbError};
use crate::clock::SharedClock;
use crate::error::Result;
use sqlx::migrate::Migrator;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

static MIGRATOR: Migrator = sqlx::migrate!("../../../migrations");

/// What start-up did to the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<i64>,
    pub backup: Option<PathBuf>,
}

pub(super) async fn run(db: &Db, clock: &SharedClock) -> Result<MigrationReport> {
    let applied = applied_versions(db).await?;
    if let Some(version) = applied
        .iter()
        .copied()
        .find(|v| !MIGRATOR.version_exists(*v))
    {
        return Err(DbError::NewerSchema {
            path: db.path().to_path_buf(),
            version,
        }
        .into());
    }
    let pending: Vec<i64> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| m.version)
        .collect();
    if pending.is_empty() {
        return Ok(MigrationReport::default());
    }
    let backup_dir = backup_dir_for(db.path());
    let backup = if holds_data(db).await? {
        Some(backup(db, &backup_dir, clock).await?)
    } else {
        None
    };
    MIGRATOR
        .run(db.pool())
        .await
        .map_err(|e| DbError::Migration {
            path: db.path().to_path_buf(),
            backup_dir: backup_dir.clone(),
            detail: e.to_string(),
        })?;
    tracing::info!(?pending, ?backup, "database migrated");
    Ok(MigrationReport {
        applied: pending,
        backup,
    })
}

fn backup_dir_for(db_path: &Path) -> PathBuf {
    paths::backup_dir(db_path.parent().unwrap_or_else(|| Path::new(".")))
}

async fn applied_versions(db: &Db) -> Result<HashSet<i64>> {
    let has_table: bool = sqlx::query_scalar(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(db.pool())
    .await
    .map_err(|e| super::classify_open_error(db.path(), e))?;
    if !has_table {
        return Ok(HashSet::new());
    }
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(db.pool())
        .await?;
    Ok(versions.into_iter().collect())
}

/// True when the file holds any table: a database worth backing up.
async fn holds_data(db: &Db) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table'")
            .fetch_one(db.pool())
            .await?,
    )
}

async fn backup(db: &Db, dir: &Path, clock: &SharedClock) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|source| DbError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let stamp = clock.now().format("%Y%m%dT%H%M%S%.3fZ");
    let target = dir.join(format!("banter-{stamp}.db"));
    let target_str = target.to_string_lossy().into_owned();
    sqlx::query("VACUUM INTO ?")
        .bind(&target_str)
        .execute(db.pool())
        .await?;
    tracing::info!(backup = %target.display(), "database backed up before migrating");
    Ok(target)
}
