//! Forward-only schema migrations from `migrations/`, applied at start-up
//! (under the open lock that `Db::open` holds, so two processes starting at
//! once never migrate together).
//!
//! Before a pending migration touches a database that already holds data, a
//! consistent copy is written to `backups/` (`VACUUM INTO`, safe under WAL).
//! Backups are private like the database, and only the newest
//! [`BACKUPS_KEPT`](super::BACKUPS_KEPT) are kept.

use super::{files, paths, Db, DbError};
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
    files::create_private_dir(dir)?;
    let stamp = clock.now().format("%Y%m%dT%H%M%S%.3fZ");
    let target = dir.join(format!("{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"));
    // `VACUUM INTO` accepts an existing empty file and keeps its mode, so
    // the copy is never readable by others, not even for a moment.
    files::make_private_file(&target)?;
    let target_str = target.to_string_lossy().into_owned();
    sqlx::query("VACUUM INTO ?")
        .bind(&target_str)
        .execute(db.pool())
        .await?;
    tracing::info!(backup = %target.display(), "database backed up before migrating");
    prune_backups(dir, &target);
    Ok(target)
}

const BACKUP_PREFIX: &str = "banter-";
const BACKUP_SUFFIX: &str = ".db";

/// Deletes all but the newest [`BACKUPS_KEPT`](super::BACKUPS_KEPT) backups
/// (by the time stamp in their names), never `just_made`. A backup that
/// cannot be deleted is logged and kept: pruning must not stop an upgrade.
fn prune_backups(dir: &Path, just_made: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut others: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p != just_made)
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(BACKUP_PREFIX) && n.ends_with(BACKUP_SUFFIX))
        })
        .collect();
    // Newest first: the stamp sorts as text.
    others.sort_unstable_by(|a, b| b.cmp(a));
    for old in others
        .into_iter()
        .skip(super::BACKUPS_KEPT.saturating_sub(1))
    {
        if let Err(error) = std::fs::remove_file(&old) {
            tracing::warn!(backup = %old.display(), %error, "could not delete an old backup");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_newest_backups_and_the_one_just_made() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "banter-20260101T000000.000Z.db",
            "banter-20260201T000000.000Z.db",
            "banter-20260301T000000.000Z.db",
            "banter-20260401T000000.000Z.db",
            "notes.txt",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        // A clock set in the past makes the new backup sort oldest.
        let just_made = dir.path().join("banter-20250101T000000.000Z.db");
        std::fs::write(&just_made, b"x").unwrap();
        prune_backups(dir.path(), &just_made);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "banter-20250101T000000.000Z.db",
                "banter-20260301T000000.000Z.db",
                "banter-20260401T000000.000Z.db",
                "notes.txt",
            ]
        );
        assert_eq!(left.len() - 1, crate::db::BACKUPS_KEPT);
    }
}
