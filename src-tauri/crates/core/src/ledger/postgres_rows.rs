//! The ledger's statements on the server's Postgres (see [`super::rows`];
//! schema in `migrations/postgres/`).
//!
//! Several server instances write at once, so where SQLite relies on its
//! single writer, Postgres takes a row lock: [`LedgerRows::lock_usage`] reads
//! a user's buckets `FOR UPDATE`, and every change to that user's ledger
//! waits for the one before it to commit. Statements run under READ
//! COMMITTED, each with a fresh snapshot, so the idempotency-key lookup
//! after the lock sees a racing writer's committed row.
//!
//! The enums stored as TEXT (`kind`, `action`) are declared
//! `type_name = "text"`, so sqlx checks them against Postgres' `text` and
//! the same row types decode from both databases.

use super::ops::{NewEntry, Usage, UsageAndKey};
use super::rows::{LedgerRows, LedgerStore, LedgerSums};
use super::LedgerEntry;
use crate::db::postgres::PgStore;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Transaction};

const ENTRY_COLUMNS: &str = "id, user_id, kind, action, amount, free_delta, purchased_delta, \
     nominal_cost, balance_after, reference, refund_of, idempotency_key, created_at";

const USAGE_COLUMNS: &str =
    "free_remaining, purchased_remaining, credits_total, last_credit_reset, pro_until";

impl LedgerRows for PgConnection {
    async fn load_usage(&mut self, user_id: &str) -> Result<Usage> {
        let sql = format!("SELECT {USAGE_COLUMNS} FROM user_usage WHERE user_id = $1");
        sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_optional(self)
            .await?
            .ok_or_else(|| Error::not_found("account", user_id))
    }

    async fn lock_usage(&mut self, user_id: &str) -> Result<Usage> {
        let sql = format!("SELECT {USAGE_COLUMNS} FROM user_usage WHERE user_id = $1 FOR UPDATE");
        sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_optional(self)
            .await?
            .ok_or_else(|| Error::not_found("account", user_id))
    }

    async fn load_for_change(
        &mut self,
        user_id: &str,
        idempotency_key: &str,
    ) -> Result<UsageAndKey> {
        // Two statements on purpose: the lock first, then the key lookup
        // with a snapshot taken after it (one statement's subquery would
        // keep the snapshot from before the wait).
        let usage = self.lock_usage(user_id).await?;
        let used: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT id, request_fingerprint FROM credit_transactions
              WHERE user_id = $1 AND idempotency_key = $2",
        )
        .bind(user_id)
        .bind(idempotency_key)
        .fetch_optional(self)
        .await?;
        let (used_by, used_fingerprint) = match used {
            Some((id, fingerprint)) => (Some(id), fingerprint),
            None => (None, None),
        };
        Ok(UsageAndKey {
            usage,
            used_by,
            used_fingerprint,
        })
    }

    async fn insert_entry(&mut self, e: NewEntry<'_>) -> Result<LedgerEntry> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO credit_transactions
                (user_id, kind, action, amount, free_delta, purchased_delta, nominal_cost,
                 balance_after, reference, refund_of, idempotency_key, request_fingerprint, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             RETURNING id",
        )
        .bind(e.user_id)
        .bind(e.kind)
        .bind(e.action)
        .bind(e.free_delta + e.purchased_delta)
        .bind(e.free_delta)
        .bind(e.purchased_delta)
        .bind(e.nominal_cost)
        .bind(e.balance_after)
        .bind(e.reference)
        .bind(e.refund_of)
        .bind(e.idempotency_key)
        .bind(e.fingerprint)
        .bind(e.at)
        .fetch_one(self)
        .await?;
        Ok(e.written(id))
    }

    async fn find_by_id(&mut self, id: i64) -> Result<LedgerEntry> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM credit_transactions WHERE id = $1");
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
             VALUES ($1, 0, 0, 0, $2, $2)",
        )
        .bind(user_id)
        .bind(now)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn reset_since(&mut self, user_id: &str, after_id: i64) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM credit_transactions
                             WHERE user_id = $1 AND kind = 'monthly_reset' AND id > $2)",
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
            sqlx::query("UPDATE user_usage SET pro_until = $1, updated_at = $2 WHERE user_id = $3")
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
              WHERE user_id = $1 AND id < $2
              ORDER BY id DESC LIMIT $3"
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
            "SELECT COUNT(*), COALESCE(SUM(amount), 0)::BIGINT, COALESCE(SUM(free_delta), 0)::BIGINT,
                    COALESCE(SUM(purchased_delta), 0)::BIGINT
               FROM credit_transactions WHERE user_id = $1",
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
                        (SUM(amount) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING))::BIGINT AS running
                   FROM credit_transactions WHERE user_id = $1) AS rows
              WHERE running != balance_after ORDER BY id LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(self)
        .await?)
    }
}

impl LedgerStore for PgStore {
    type Conn = PgConnection;
    type Tx = Transaction<'static, Postgres>;
    type Read = PoolConnection<Postgres>;
    type Snapshot = Transaction<'static, Postgres>;
    type SingleWrite = PoolConnection<Postgres>;

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool().begin().await?)
    }

    async fn commit(tx: Transaction<'static, Postgres>) -> Result<()> {
        Ok(tx.commit().await?)
    }

    /// A pooled connection in autocommit: its one statement commits (or
    /// rolls back) by itself.
    async fn begin_single_write(&self) -> Result<PoolConnection<Postgres>> {
        Ok(self.pool().acquire().await?)
    }

    async fn commit_single_write(_conn: PoolConnection<Postgres>) -> Result<()> {
        Ok(())
    }

    async fn read(&self) -> Result<PoolConnection<Postgres>> {
        Ok(self.pool().acquire().await?)
    }

    async fn snapshot(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}
