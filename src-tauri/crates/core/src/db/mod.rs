//! The SQLite database: opening it safely, its pragmas, and write transactions.
//!
//! Opening never "repairs" anything: a read-only, corrupt or newer-than-us
//! file is reported with a typed error and left exactly as it was.

mod migrate;
pub mod paths;

use crate::clock::SharedClock;
use crate::error::Result;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::io::Read;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

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
    /// One writer at a time within this process: waiters queue here instead
    /// of spinning in SQLite's sleeping busy handler. Other processes are
    /// still kept out by SQLite's own lock and the busy timeout.
    write_lock: Arc<Mutex<()>>,
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
        // Held until the database is open and migrated: a fresh file's switch
        // to WAL needs an exclusive lock that SQLite's busy timeout does not
        // wait for, and two processes must not migrate at once.
        let _open_lock = open_lock(path).await?;
        let sidecars = Sidecars::before_open(path);
        let pool = match SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(BUSY_TIMEOUT)
            // A local file has no connection to lose: skip the ping per acquire.
            .test_before_acquire(false)
            .connect_with(options)
            .await
        {
            Ok(pool) => pool,
            Err(error) => {
                sidecars.remove_new();
                return Err(classify_open_error(path, error).into());
            }
        };
        let mut db = Self {
            pool,
            path: path.to_path_buf(),
            migration: MigrationReport::default(),
            write_lock: Arc::new(Mutex::new(())),
        };
        match migrate::run(&db, clock).await {
            Ok(report) => db.migration = report,
            Err(error) => {
                db.pool.close().await;
                sidecars.remove_new();
                return Err(error);
            }
        }
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
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let guard = self.write_lock.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _guard: guard })
    }

    /// Folds the WAL back into the database file and closes every
    /// connection, so `banter.db` alone holds all the data afterwards.
    pub async fn close(&self) {
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(%error, "could not checkpoint the database before closing");
        }
        self.pool.close().await;
    }
}

/// A write transaction holding this process's writer slot. It derefs to the
/// connection; dropping it without `commit` rolls back.
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _guard: OwnedMutexGuard<()>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

/// An exclusive lock on `<db>.open-lock`, taken off the async workers
/// (`flock` blocks) and released when the returned file is dropped.
async fn open_lock(db_path: &Path) -> Result<std::fs::File, DbError> {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".open-lock");
    let path = PathBuf::from(name);
    let locking = path.clone();
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&locking)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|join| DbError::Io {
        path: path.clone(),
        source: std::io::Error::other(join),
    })?;
    locked.map_err(|source| DbError::Io { path, source })
}

/// SQLite's `-wal` and `-shm` files beside the database. Opening in WAL mode
/// creates them; when the open then fails (say, on a damaged file) SQLite
/// leaves them behind, so we remove the ones this attempt created — and only
/// while the `-wal` is still empty, so no pending write is ever discarded.
struct Sidecars {
    wal: PathBuf,
    shm: PathBuf,
    wal_existed: bool,
    shm_existed: bool,
}

impl Sidecars {
    fn before_open(db: &Path) -> Self {
        let with_suffix = |suffix: &str| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        let (wal, shm) = (with_suffix("-wal"), with_suffix("-shm"));
        Self {
            wal_existed: wal.exists(),
            shm_existed: shm.exists(),
            wal,
            shm,
        }
    }

    fn remove_new(&self) {
        let wal_empty = std::fs::metadata(&self.wal)
            .map(|m| m.len() == 0)
            .unwrap_or(true);
        if self.wal_existed || !wal_empty {
            return;
        }
        let _ = std::fs::remove_file(&self.wal);
        if !self.shm_existed {
            let _ = std::fs::remove_file(&self.shm);
        }
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
