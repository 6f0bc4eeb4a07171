//! The ledger's statements on the desktop's SQLite (see [`super::rows`]).
//! Every write runs under the database's single writer lock
//! ([`crate::db::Db::begin_write`]), so reading the buckets there already
//! keeps them still until the transaction ends.

use super::ops::{NewEntry, Usage, UsageAndKey};
use super::rows::{LedgerRows, LedgerStore, LedgerSums};
use super::LedgerEntry;
use crate::db::{Db, WriteTx};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, Transaction};

/// The columns of a [`LedgerEntry`], in its field order.
pub const ENTRY_COLUMNS: &str = "id, user_id, kind, action, amount, free_delta, purchased_delta, \
     nominal_cost, balance_after, reference, refund_of, idempotency_key, created_at";

impl LedgerRows for SqliteConnection {
    async fn load_usage(&mut self, user_id: &str) -> Result<Usage> {
        sqlx::query_as(
            "SELECT free_remaining, purchased_remaining, credits_total, last_credit_reset, pro_until
               FROM user_usage WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_optional(self)
        .await?
        .ok_or_else(|| Error::not_found("profile", user_id))
    }

    async fn lock_usage(&mut self, user_id: &str) -> Result<Usage> {
        self.load_usage(user_id).await
    }

    async fn load_for_change(
        &mut self,
        user_id: &str,
        idempotency_key: &str,
    ) -> Result<UsageAndKey> {
        // One round trip: under the write lock nothing can change between
        // the usage and the key lookup.
        sqlx::query_as(
            "SELECT free_remaining, purchased_remaining, credits_total, last_credit_reset, pro_until,
                    (SELECT id FROM credit_transactions WHERE idempotency_key = ?2) AS used_by,
                    (SELECT request_fingerprint FROM credit_transactions WHERE idempotency_key = ?2)
                        AS used_fingerprint
               FROM user_usage WHERE user_id = ?1",
        )
        .bind(user_id)
        .bind(idempotency_key)
        .fetch_optional(self)
        .await?
        .ok_or_else(|| Error::not_found("profile", user_id))
    }

    async fn insert_entry(&mut self, e: NewEntry<'_>) -> Result<LedgerEntry> {
        let amount = e.free_delta + e.purchased_delta;
        let done = sqlx::query(
            "INSERT INTO credit_transactions
                (user_id, kind, action, amount, free_delta, purchased_delta, nominal_cost,
                 balance_after, reference, refund_of, idempotency_key, request_fingerprint, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.user_id)
        .bind(e.kind)
        .bind(e.action)
        .bind(amount)
        .bind(e.free_delta)
        .bind(e.purchased_delta)
        .bind(e.nominal_cost)
        .bind(e.balance_after)
        .bind(e.reference)
        .bind(e.refund_of)
        .bind(e.idempotency_key)
        .bind(e.fingerprint)
        .bind(e.at)
        .execute(self)
        .await?;
        Ok(e.written(done.last_insert_rowid()))
    }

    async fn find_by_id(&mut self, id: i64) -> Result<LedgerEntry> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM credit_transactions WHERE id = ?");
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(self)
            .await?
            .ok_or_else(|| Error::not_found("ledger entry", id))
    }

    async fn create_usage(&mut self, user_id: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_usage
                (user_id, free_remaining, purchased_remaining, credits_total, last_credit_reset, updated_at)
             VALUES (?, 0, 0, 0, ?, ?)",
        )
        .bind(user_id)
        .bind(now)
        .bind(now)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn reset_since(&mut self, user_id: &str, after_id: i64) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM credit_transactions
                             WHERE user_id = ? AND kind = 'monthly_reset' AND id > ?)",
        )
        .bind(user_id)
        .bind(after_id)
        .fetch_one(self)
        .await?)
    }

    async fn set_pro_until(
        &mut self,
        user_id: &str,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done =
            sqlx::query("UPDATE user_usage SET pro_until = ?, updated_at = ? WHERE user_id = ?")
                .bind(until)
                .bind(now)
                .bind(user_id)
                .execute(self)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn history(
        &mut self,
        user_id: &str,
        before: i64,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM credit_transactions
              WHERE user_id = ? AND id < ?
              ORDER BY id DESC LIMIT ?"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(before)
            .bind(limit)
            .fetch_all(self)
            .await?)
    }

    async fn sums(&mut self, user_id: &str) -> Result<LedgerSums> {
        let (entries, amount, free, purchased): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0), COALESCE(SUM(free_delta), 0),
                    COALESCE(SUM(purchased_delta), 0)
               FROM credit_transactions WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_one(self)
        .await?;
        Ok(LedgerSums {
            entries,
            amount,
            free,
            purchased,
        })
    }

    async fn first_broken_row(&mut self, user_id: &str) -> Result<Option<(i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, balance_after, running FROM (
                 SELECT id, balance_after,
                        SUM(amount) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) AS running
                   FROM credit_transactions WHERE user_id = ?)
              WHERE running != balance_after ORDER BY id LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(self)
        .await?)
    }
}

impl LedgerStore for Db {
    type Conn = SqliteConnection;
    type Tx = WriteTx;
    type Read = PoolConnection<Sqlite>;
    type Snapshot = Transaction<'static, Sqlite>;
    type SingleWrite = WriteTx;

    async fn begin_write(&self) -> Result<WriteTx> {
        Db::begin_write(self).await
    }

    async fn commit(tx: WriteTx) -> Result<()> {
        tx.commit().await
    }

    /// Every write takes the one writer's lock, one statement or several.
    async fn begin_single_write(&self) -> Result<WriteTx> {
        Db::begin_write(self).await
    }

    async fn commit_single_write(tx: WriteTx) -> Result<()> {
        tx.commit().await
    }

    async fn read(&self) -> Result<PoolConnection<Sqlite>> {
        Ok(self.pool().acquire().await?)
    }

    /// A deferred transaction: in WAL mode its first read fixes the snapshot.
    async fn snapshot(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool().begin().await?)
    }
}
