//! The SQLite database: opening it safely, its pragmas, and write transactions.
//!
//! Opening never "repairs" anything: a read-only, corrupt or newer-than-us
//! file is reported with a typed error and left exactly as it was.

pub(crate) mod files;
mod migrate;
pub mod paths;
pub mod postgres;
mod write_lock;
mod writer;

use crate::clock::SharedClock;
use crate::error::ErrorCode;
use crate::error::Result;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite, SqlitePool};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use write_lock::WriterSlot;
pub use write_lock::WRITE_LOCK_TARGET;
pub use writer::WriteTx;
use writer::Writer;

pub use files::{BACKUPS_KEPT, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
pub use migrate::MigrationReport;

/// How long a write waits for the database before `database_busy` reaches
/// the user. Writers queue on [`write_lock`] and SQLite's own busy handler
/// backs that up, so this is only reached when a write truly cannot get in
/// (another program holding the file, a stuck disk). Documented in
/// `docs/architecture.md`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Read connections per process (writes have their own, see [`writer`]).
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
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::ReadOnly { .. } => ErrorCode::DatabaseReadOnly,
            Self::Corrupt { .. } => ErrorCode::DatabaseCorrupt,
            Self::NewerSchema { .. } => ErrorCode::DatabaseTooNew,
            Self::Migration { .. } => ErrorCode::DatabaseMigrationFailed,
            Self::Io { .. } | Self::Open { .. } => ErrorCode::DatabaseUnavailable,
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
    /// The writers' own connection, one writer at a time within this
    /// process: waiters queue here (first come, first served) before taking
    /// [`Self::writer_slot`].
    writer: Writer,
    /// One writer at a time across processes (the app and any number of CLI
    /// runs): a kernel file lock that wakes a waiter as soon as it is free,
    /// instead of SQLite's busy handler, which sleeps up to 100 ms between
    /// polls and can starve a writer for its whole timeout.
    writer_slot: WriterSlot,
}

impl Db {
    /// Opens (creating if absent) the database at `path` and applies pending
    /// migrations, backing the file up first when it already held data.
    pub async fn open(path: &Path, clock: &SharedClock) -> Result<Self> {
        preflight(path)?;
        if let Some(dir) = path.parent() {
            files::create_private_dir(dir)?;
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
        // SQLite gives its sidecar files (-wal, -shm) the database file's
        // mode, so making the database private makes them private too.
        files::make_private_file(path)?;
        let sidecars = Sidecars::before_open(path);
        let writer = Writer::new(options.clone());
        let pool = match SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // Connections are never retired, so the first one stays open for
            // the life of the pool: while it is, this process holds a shared
            // lock on the file, and no other process's close can delete the
            // WAL under a connection we open later (see `close`). Not
            // `min_connections`: its background task opens a second
            // connection while the first may still be switching a new file
            // to WAL, which fails at once with "database is locked".
            .idle_timeout(None)
            .max_lifetime(None)
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
            writer,
            writer_slot: WriterSlot::beside(path),
        };
        match migrate::run(&db, clock).await {
            Ok(report) => db.migration = report,
            Err(error) => {
                db.close_connections().await;
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
    ///
    /// Writers queue in this process, then across processes, and only then
    /// ask SQLite for its lock, which is by then free; keep what runs inside
    /// short and free of network, file and CPU-heavy work. How long the wait
    /// took is logged at debug level under [`WRITE_LOCK_TARGET`].
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let asked = std::time::Instant::now();
        let turn = self.writer.turn().await;
        let slot = self.writer_slot.take().await?;
        let tx = turn.begin(slot).await?;
        let waited = asked.elapsed();
        tracing::debug!(
            target: WRITE_LOCK_TARGET,
            wait_us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX),
            "write lock taken"
        );
        Ok(tx)
    }

    /// Runs one write statement through the writers' queue, as its own
    /// transaction (see [`Self::begin_write`]). Every write goes through the
    /// queue: a lone statement left to SQLite's busy handler could poll past
    /// its timeout while queued writers hand the lock to each other.
    pub async fn write_one<'q>(
        &self,
        query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<sqlx::sqlite::SqliteQueryResult> {
        let mut tx = self.begin_write().await?;
        let done = query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// [`Self::write_one`] for a statement that returns a row
    /// (`UPDATE … RETURNING`): the row, or `None` when no row matched.
    pub async fn write_returning<'q, T>(
        &self,
        query: sqlx::query::QueryAs<'q, Sqlite, T, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<Option<T>>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        let mut tx = self.begin_write().await?;
        let row = query.fetch_optional(&mut *tx).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Folds the WAL back into the database file and closes every
    /// connection, so `banter.db` alone holds all the data afterwards.
    ///
    /// The checkpoint is `PASSIVE`: it copies what it can without waiting
    /// for other processes' readers and writers (a blocking checkpoint made
    /// every closing CLI run stall the others). Closing holds the open lock:
    /// when this is the last connection, SQLite briefly locks the file
    /// exclusively to delete the WAL, and a process opening at that moment
    /// would get `SQLITE_BUSY` without waiting
    /// (sqlite.org/wal.html, "Sometimes Queries Return SQLITE_BUSY").
    pub async fn close(&self) {
        let open_lock = open_lock(&self.path).await;
        if let Err(error) = &open_lock {
            tracing::warn!(%error, "closing the database without the open lock");
        }
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(%error, "could not checkpoint the database before closing");
        }
        self.close_connections().await;
        drop(open_lock);
    }

    /// Closes the writer connection and the read pool, without the
    /// checkpoint of [`Self::close`] (for a database about to be removed).
    pub async fn close_connections(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// An exclusive lock on `<db>.open-lock`, taken off the async workers
/// (`flock` blocks) and released when the returned file is dropped.
async fn open_lock(db_path: &Path) -> Result<std::fs::File, DbError> {
    let path = files::beside(db_path, ".open-lock");
    let locking = path.clone();
    let locked = tokio::task::spawn_blocking(move || {
        let file = files::private_options().open(&locking)?;
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
        let (wal, shm) = (files::beside(db, "-wal"), files::beside(db, "-shm"));
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
