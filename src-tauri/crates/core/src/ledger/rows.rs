//! The ledger's storage seam: what the credit rules need from a database.
//!
//! The rules ([`super::ops`], [`super::paid`]) are written once, against
//! these two traits; the desktop's SQLite ([`super::sqlite_rows`]) and the
//! server's Postgres ([`super::postgres_rows`]) implement them. Only SQL
//! lives behind the seam: no decision about credits is made there.

use super::ops::{NewEntry, Usage, UsageAndKey};
use super::LedgerEntry;
use crate::error::Result;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::ops::DerefMut;

/// The statements the rules run, on one connection (usually inside a
/// [`LedgerStore::begin_write`] transaction).
pub trait LedgerRows: Send {
    /// The buckets, read without locking (a read outside any write).
    fn load_usage(&mut self, user_id: &str) -> impl Future<Output = Result<Usage>> + Send;

    /// The buckets, read so that no other writer changes them before this
    /// transaction ends (SQLite: already true under its write lock; Postgres:
    /// `FOR UPDATE`, which serialises one user's writers across instances).
    fn lock_usage(&mut self, user_id: &str) -> impl Future<Output = Result<Usage>> + Send;

    /// [`Self::lock_usage`] plus the ledger row (and its request fingerprint)
    /// that already used the stored idempotency key, if any — read after the
    /// lock, so a racing writer's committed row is seen.
    fn load_for_change(
        &mut self,
        user_id: &str,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<UsageAndKey>> + Send;

    /// Appends one ledger row; the database's trigger moves the buckets.
    fn insert_entry(
        &mut self,
        entry: NewEntry<'_>,
    ) -> impl Future<Output = Result<LedgerEntry>> + Send;

    fn find_by_id(&mut self, id: i64) -> impl Future<Output = Result<LedgerEntry>> + Send;

    /// Creates a user's empty buckets (the signup grant fills them).
    fn create_usage(
        &mut self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Whether a monthly reset was written after ledger row `after_id`.
    fn reset_since(
        &mut self,
        user_id: &str,
        after_id: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Sets the end of the verified Pro period; false if there is no such user.
    fn set_pro_until(
        &mut self,
        user_id: &str,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Rows newest first with `id < before`, at most `limit`.
    fn history(
        &mut self,
        user_id: &str,
        before: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<LedgerEntry>>> + Send;

    /// Row count and the sums of amount, free and purchased deltas.
    fn sums(&mut self, user_id: &str) -> impl Future<Output = Result<LedgerSums>> + Send;

    /// The first row whose `balance_after` is not the running sum:
    /// `(id, balance_after, running sum)`.
    fn first_broken_row(
        &mut self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<(i64, i64, i64)>>> + Send;
}

/// What [`LedgerRows::sums`] adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerSums {
    pub entries: i64,
    pub amount: i64,
    pub free: i64,
    pub purchased: i64,
}

/// A database the ledger keeps its rows in: where its connections and
/// write transactions come from.
pub trait LedgerStore: Clone + Send + Sync + 'static {
    type Conn: LedgerRows;
    /// A write transaction: derefs to its connection; dropped uncommitted, it
    /// rolls back.
    type Tx: DerefMut<Target = Self::Conn> + Send;
    /// A pooled connection for reads.
    type Read: DerefMut<Target = Self::Conn> + Send;
    /// A read-only transaction: several reads that see one moment.
    type Snapshot: DerefMut<Target = Self::Conn> + Send;
    /// A write that is one statement on Postgres (see
    /// [`Self::begin_single_write`]).
    type SingleWrite: DerefMut<Target = Self::Conn> + Send;

    fn begin_write(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    fn commit(tx: Self::Tx) -> impl Future<Output = Result<()>> + Send;

    /// Opens a write made of one row method whose Postgres statement is a
    /// single statement (its docs say so), atomic by itself: Postgres runs
    /// it without a transaction around it, sparing the `BEGIN` and `COMMIT`
    /// round trips; SQLite takes its one write lock as for any write
    /// ([`Self::begin_write`]), where the method may run several statements.
    fn begin_single_write(&self) -> impl Future<Output = Result<Self::SingleWrite>> + Send;
    /// Ends a [`Self::begin_single_write`] write (SQLite commits; Postgres
    /// has already).
    fn commit_single_write(write: Self::SingleWrite) -> impl Future<Output = Result<()>> + Send;
    fn read(&self) -> impl Future<Output = Result<Self::Read>> + Send;
    fn snapshot(&self) -> impl Future<Output = Result<Self::Snapshot>> + Send;
}
