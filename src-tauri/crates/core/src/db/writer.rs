//! The writers' own connection: every write transaction of this process
//! runs on one SQLite connection kept for writing, outside the read pool.
//!
//! Why not a pooled connection per write: taking one from the pool and
//! giving it back costs sqlx a ping on the connection's worker thread at
//! every release, plus the pool's bookkeeping — about a third of a spend's
//! time (docs/benchmarks.md, the ledger section). Writes are serialised
//! anyway (one in-process queue, then [`super::write_lock`] across
//! processes, then SQLite's own lock), so a second writer connection could
//! never be used at the same time as the first.
//!
//! The transaction is driven by sqlx's own transaction manager, exactly as
//! `sqlx::Transaction` drives it: a dropped, uncommitted [`WriteTx`] queues
//! its `ROLLBACK` on the connection before the writer's locks are released,
//! and a `COMMIT` whose caller was cancelled is settled by the connection's
//! worker. A `BEGIN` whose caller was cancelled is rolled back
//! ([`begin_or_roll_back`]), and a connection left in a transaction or
//! without its worker is replaced at the next write ([`Turn::begin`]).

use super::write_lock::SlotGuard;
use crate::error::Result;
use sqlx::sqlite::{SqliteConnectOptions, SqliteTransactionManager};
use sqlx::{ConnectOptions, SqliteConnection, TransactionManager};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMappedMutexGuard};

/// The statement a write transaction starts with: SQLite's write lock is
/// taken up front, so a read-then-write sequence (check the balance, then
/// spend) cannot interleave with another writer.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The held connection, opened at the first write (a process that only
/// reads never opens it), behind the in-process writers' queue: tokio's
/// mutex is first come, first served.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    options: SqliteConnectOptions,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    conn: Option<SqliteConnection>,
    /// Set by [`Writer::close`]: no connection is opened again.
    closed: bool,
}

impl Writer {
    /// A writer whose connection will be opened with `options` (the pool's,
    /// so the pragmas and busy timeout are the same).
    pub(crate) fn new(options: SqliteConnectOptions) -> Self {
        Self {
            options,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Waits for this process's turn to write: the returned queue place
    /// must be held while the cross-process slot is taken, then turned
    /// into a transaction with [`Turn::begin`].
    pub(crate) async fn turn(&self) -> Turn<'_> {
        Turn {
            state: self.state.clone().lock_owned().await,
            options: &self.options,
        }
    }

    /// Closes the connection (after any write in progress) and keeps it
    /// closed: a write after this fails as a closed pool does.
    pub(crate) async fn close(&self) {
        let mut state = self.state.lock().await;
        state.closed = true;
        if let Some(conn) = state.conn.take() {
            if let Err(error) = sqlx::Connection::close(conn).await {
                tracing::warn!(%error, "could not close the writer connection cleanly");
            }
        }
    }
}

/// This process's place at the head of the writers' queue.
pub(crate) struct Turn<'w> {
    state: tokio::sync::OwnedMutexGuard<State>,
    options: &'w SqliteConnectOptions,
}

impl Turn<'_> {
    /// Opens the connection if needed and starts the write transaction.
    ///
    /// A held connection that cannot start one is replaced, once: one whose
    /// transaction was left open (SQLite rolled back by itself after a full
    /// disk or an I/O error, and the queued `ROLLBACK` failed, so sqlx still
    /// counts it open) or whose worker thread is gone. Only SQLite refusing
    /// the `BEGIN` itself (busy, I/O) reaches the caller as it is.
    pub(crate) async fn begin(mut self, slot: SlotGuard) -> Result<WriteTx> {
        if self.state.closed {
            return Err(sqlx::Error::PoolClosed.into());
        }
        let mut reused = match self.state.conn.take() {
            Some(conn) if SqliteTransactionManager::get_transaction_depth(&conn) == 0 => Some(conn),
            Some(conn) => {
                tracing::warn!(
                    "the writer connection was left in a transaction; opening a new one"
                );
                discard(conn).await;
                None
            }
            None => None,
        };
        loop {
            let was_reused = reused.is_some();
            let conn = match reused.take() {
                Some(conn) => conn,
                None => self.options.connect().await?,
            };
            let conn = self.state.conn.insert(conn);
            match begin_or_roll_back(conn).await {
                Ok(()) => break,
                Err(error @ sqlx::Error::Database(_)) => return Err(error.into()),
                Err(error) => {
                    if let Some(conn) = self.state.conn.take() {
                        discard(conn).await;
                    }
                    if !was_reused {
                        return Err(error.into());
                    }
                    tracing::warn!(%error, "the writer connection failed; opening a new one");
                }
            }
        }
        let conn = tokio::sync::OwnedMutexGuard::try_map(self.state, |state| state.conn.as_mut())
            .map_err(|_| sqlx::Error::WorkerCrashed)?;
        Ok(WriteTx {
            _slot: slot,
            conn,
            open: true,
        })
    }
}

/// Starts the write transaction on `conn`. If the caller stops waiting
/// (the future is dropped) after the connection's worker ran the `BEGIN`
/// but before sqlx checked it, nothing would ever end that transaction, and
/// SQLite's write lock would stay taken from every other process: a
/// rollback is queued then, which the worker runs after the `BEGIN` (and
/// ignores if no transaction is open).
async fn begin_or_roll_back(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    struct Unfinished<'c>(Option<&'c mut SqliteConnection>);
    impl Drop for Unfinished<'_> {
        fn drop(&mut self) {
            if let Some(conn) = self.0.take() {
                SqliteTransactionManager::start_rollback(conn);
            }
        }
    }
    let mut beginning = Unfinished(Some(conn));
    let result = match beginning.0.as_deref_mut() {
        Some(conn) => SqliteTransactionManager::begin(conn, Some(BEGIN_WRITE.into())).await,
        None => Err(sqlx::Error::WorkerCrashed),
    };
    // Finished, either way: on success the transaction is the caller's; on
    // an error there is none (a failed `BEGIN` starts nothing, and one
    // whose check failed is settled by replacing the connection).
    beginning.0 = None;
    result
}

/// Closes a connection that cannot be trusted (closing rolls back whatever
/// it had open); a failure to close cleanly is only logged.
async fn discard(conn: SqliteConnection) {
    if let Err(error) = sqlx::Connection::close(conn).await {
        tracing::debug!(%error, "could not close the replaced writer connection cleanly");
    }
}

/// A write transaction on the writer connection, holding this process's
/// writer slot. It derefs to the connection; dropping it without
/// [`Self::commit`] rolls back.
pub struct WriteTx {
    // Field order is drop order (after `Drop::drop` has queued the
    // rollback): the cross-process slot is released first, then the
    // in-process queue, whose next writer's `BEGIN` runs after that rollback
    // on the same connection.
    _slot: SlotGuard,
    conn: OwnedMappedMutexGuard<State, SqliteConnection>,
    open: bool,
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<()> {
        SqliteTransactionManager::commit(&mut self.conn).await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            SqliteTransactionManager::start_rollback(&mut self.conn);
        }
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::super::Db;
    use crate::clock::{SharedClock, SystemClock};
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, TransactionManager};
    use std::sync::Arc;
    use std::time::Duration;

    const OTHER_WAITS: Duration = Duration::from_secs(1);

    async fn open(dir: &tempfile::TempDir) -> Db {
        let clock: SharedClock = Arc::new(SystemClock);
        Db::open(&dir.path().join("banter.db"), &clock)
            .await
            .expect("open")
    }

    async fn count(db: &Db) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM writer_probe")
            .fetch_one(db.pool())
            .await
            .expect("count")
    }

    /// Another process's connection taking SQLite's write lock within
    /// [`OTHER_WAITS`] (time for a rollback this process has queued to run):
    /// it can only if this process holds none.
    async fn another_process_can_write(db: &Db) -> bool {
        let mut other = SqliteConnectOptions::new()
            .filename(db.path())
            .busy_timeout(OTHER_WAITS)
            .connect()
            .await
            .expect("second connection");
        let free = sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .is_ok();
        if free {
            sqlx::query("ROLLBACK")
                .execute(&mut other)
                .await
                .expect("rollback");
        }
        free
    }

    async fn with_probe_table() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(&dir).await;
        db.write_one(sqlx::query("CREATE TABLE writer_probe (n INTEGER)"))
            .await
            .expect("table");
        (dir, db)
    }

    #[tokio::test]
    async fn a_dropped_transaction_keeps_nothing_and_the_next_write_works() {
        let (_dir, db) = with_probe_table().await;
        {
            let mut tx = db.begin_write().await.expect("begin");
            sqlx::query("INSERT INTO writer_probe VALUES (1)")
                .execute(&mut *tx)
                .await
                .expect("insert");
        }
        assert_eq!(count(&db).await, 0);
        db.write_one(sqlx::query("INSERT INTO writer_probe VALUES (2)"))
            .await
            .expect("the next write");
        assert_eq!(count(&db).await, 1);
        assert!(another_process_can_write(&db).await);
    }

    /// Writers cancelled at every point of their start (queued, taking the
    /// slot, beginning) leave no transaction open and no lock taken.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_writers_leave_no_transaction_or_lock_behind() {
        let (_dir, db) = with_probe_table().await;
        let db = Arc::new(db);
        for round in 0..200u64 {
            let holder = db.begin_write().await.expect("begin");
            let waiting: Vec<_> = (0..3)
                .map(|_| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        let mut tx = db.begin_write().await.expect("begin");
                        sqlx::query("INSERT INTO writer_probe VALUES (1)")
                            .execute(&mut *tx)
                            .await
                            .expect("insert");
                        tx.commit().await.expect("commit");
                    })
                })
                .collect();
            drop(holder);
            // Cancel them at spread-out moments of their start.
            tokio::time::sleep(Duration::from_micros(round * 37 % 900)).await;
            for task in &waiting {
                task.abort();
            }
            for task in waiting {
                let _ = task.await;
            }
            if round % 20 == 0 {
                assert!(another_process_can_write(&db).await, "round {round}");
            }
        }
        assert!(another_process_can_write(&db).await);
        let before = count(&db).await;
        db.write_one(sqlx::query("INSERT INTO writer_probe VALUES (2)"))
            .await
            .expect("a write after the cancellations");
        assert_eq!(count(&db).await, before + 1);
        assert!(another_process_can_write(&db).await);
    }

    /// A connection that sqlx still counts in a transaction (a rollback
    /// SQLite refused) is replaced, and the user's write goes through.
    #[tokio::test]
    async fn a_connection_left_in_a_transaction_is_replaced_at_the_next_write() {
        let (_dir, db) = with_probe_table().await;
        {
            let mut state = db.writer.state.lock().await;
            let conn = state.conn.as_mut().expect("the held connection");
            super::SqliteTransactionManager::begin(conn, Some(super::BEGIN_WRITE.into()))
                .await
                .expect("a transaction nobody ends");
        }
        assert!(!another_process_can_write(&db).await);
        db.write_one(sqlx::query("INSERT INTO writer_probe VALUES (3)"))
            .await
            .expect("the write after");
        assert_eq!(count(&db).await, 1);
        assert!(another_process_can_write(&db).await);
    }

    #[tokio::test]
    async fn a_write_after_closing_is_refused_and_makes_no_file() {
        let (dir, db) = with_probe_table().await;
        db.close_connections().await;
        std::fs::remove_file(dir.path().join("banter.db")).expect("remove");
        let refused = db
            .write_one(sqlx::query("INSERT INTO writer_probe VALUES (4)"))
            .await
            .expect_err("closed");
        assert!(
            refused.to_string().to_lowercase().contains("closed"),
            "{refused}"
        );
        assert!(!dir.path().join("banter.db").exists());
    }
}
