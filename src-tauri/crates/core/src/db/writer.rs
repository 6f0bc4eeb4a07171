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
//! and a `BEGIN` or `COMMIT` whose caller was cancelled is settled by the
//! connection's worker (rolled back, or its later rollback ignored).

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
    pub(crate) async fn begin(mut self, slot: SlotGuard) -> Result<WriteTx> {
        if self.state.closed {
            return Err(sqlx::Error::PoolClosed.into());
        }
        let conn = match self.state.conn.take() {
            Some(conn) => conn,
            None => self.options.connect().await?,
        };
        let conn = self.state.conn.insert(conn);
        if let Err(error) = SqliteTransactionManager::begin(conn, Some(BEGIN_WRITE.into())).await {
            // SQLite refusing (busy, I/O) leaves a usable connection; any
            // other failure (its worker thread gone) means open a new one.
            if !matches!(error, sqlx::Error::Database(_)) {
                self.state.conn = None;
            }
            return Err(error.into());
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
