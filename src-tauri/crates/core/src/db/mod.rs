//! The SQLite database: opening it safely, its pragmas, and write transactions.
//!
//! Opening never "repairs" anything: a read-only, corrupt or newer-than-us
//! file is reported with a typed error and left exactly as it was.

mod migrate;
pub mod paths;

use crate::clock::SharedClock;
use crate::error::Result;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite, SqlitePool, Transaction};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use migrate::MigrationReport;

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections per process; SQLite serialises writers anyway.
const MAX_CONNECTIONS: u32 = 8;
/// The first bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database file {path} is read-only; Banter needs to write to it")]
    ReadOnly { path: PathBuf },
    #[error(
        "the database file {path} is not a valid Banter database ({detail}); it was left untouched"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("the database {path} was written by a newer Banter (schema version {version}); update Banter to open it")]
    NewerSchema { path: PathBuf, version: i64 },
    #[error("could not upgrade the database {path}: {detail} (a backup is kept in {backup_dir})")]
    Migration {
        path: PathBuf,
        backup_dir: PathBuf,
        detail: String,
    },
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
}

impl DbError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::ReadOnly { .. } => "database_read_only",
            Self::Corrupt { .. } => "database_corrupt",
            Self::NewerSchema { .. } => "database_too_new",
            Self::Migration { .. } => "database_migration_failed",
            Self::Io { .. } | Self::Open { .. } => "database_unavailable",
        }
    }

    /// A read-only or unreachable location is something the user can fix.
    pub fn is_user_error(&self) -> bool {
        matches!(self, Self::ReadOnly { .. } | Self::Io { .. })
    }
}

/// An open, migrated database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: SqlitePool,
    path: PathBuf,
    migration: MigrationReport,
}

impl Db {
    /// Opens (creating if absent) the database at `path` and applies pending
    /// migrations, backing the file up first when it already held data.
    pub async fn open(path: &Path, clock: &SharedClock) -> Result<Self> {
        preflight(path)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| DbError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| classify_open_error(path, e))?;
        let mut db = Self {
            pool,
            path: path.to_path_buf(),
            migration: MigrationReport::default(),
        };
        db.migration = migrate::run(&db, clock).await?;
        Ok(db)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What this open did to the schema (migrations applied, backup taken).
    pub fn migration(&self) -> &MigrationReport {
        &self.migration
    }

    /// Starts a write transaction that takes SQLite's write lock up front, so a
    /// read-then-write sequence (check balance, then spend) cannot interleave
    /// with another writer — in this process or another one.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Checks an existing file before SQLite touches it: it must be writable and
/// start with the SQLite header. A zero-length file is a fresh database.
fn preflight(path: &Path) -> Result<(), DbError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(DbError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if !meta.is_file() {
        return Err(DbError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("not a regular file"),
        });
    }
    // Root ignores permission bits, so honour the read-only flag ourselves.
    if meta.permissions().readonly() {
        return Err(DbError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    if meta.len() == 0 {
        return Ok(());
    }
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => DbError::Corrupt {
                path: path.to_path_buf(),
                detail: "file is shorter than a database header".into(),
            },
            _ => DbError::Io {
                path: path.to_path_buf(),
                source: e,
            },
        });
    read?;
    if &header != SQLITE_HEADER {
        return Err(DbError::Corrupt {
            path: path.to_path_buf(),
            detail: "file does not start with the SQLite header".into(),
        });
    }
    Ok(())
}

/// Maps SQLite's result codes at open time onto our typed errors.
pub(crate) fn classify_open_error(path: &Path, e: sqlx::Error) -> DbError {
    match crate::error::sqlite_code(&e) {
        Some(8) => DbError::ReadOnly {
            path: path.to_path_buf(),
        },
        Some(11) | Some(26) => DbError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => DbError::Open {
            path: path.to_path_buf(),
            source: e,
        },
    }
}
