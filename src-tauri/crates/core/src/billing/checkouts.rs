//! The `purchase_checkouts` table: which checkouts are still open. The
//! statements are behind [`CheckoutRows`] (SQLite on the desktop, Postgres
//! on the server); the rules — what expires when, which checkout an invoice
//! fulfils — are written here once.

use crate::error::Result;
use crate::ledger::rows::LedgerStore;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// A checkout left open this long is no longer polled for.
pub const PENDING_FOR: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingCheckout {
    pub reference: String,
    pub product: String,
    pub created_at: DateTime<Utc>,
}

/// A checkout's status as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutStatus {
    Pending,
    Fulfilled,
    Cancelled,
    Expired,
}

impl CheckoutStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// The statements on `purchase_checkouts`, on one connection.
pub trait CheckoutRows: Send {
    fn insert_checkout(
        &mut self,
        user_id: &str,
        reference: &str,
        product: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Pending checkouts created before `cutoff` become `expired`.
    fn expire_pending(
        &mut self,
        user_id: &str,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    fn pending_checkouts(
        &mut self,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<PendingCheckout>>> + Send;

    /// The oldest pending checkout of `product` becomes `fulfilled`.
    fn fulfil_oldest(
        &mut self,
        user_id: &str,
        product: &str,
        invoice_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Pending checkout `reference` gets `status`.
    fn end_pending(
        &mut self,
        user_id: &str,
        reference: &str,
        status: CheckoutStatus,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
}

pub(crate) async fn open<S: LedgerStore>(
    store: &S,
    user_id: &str,
    reference: &str,
    product: &str,
    now: DateTime<Utc>,
) -> Result<()>
where
    S::Conn: CheckoutRows,
{
    let mut tx = store.begin_write().await?;
    tx.insert_checkout(user_id, reference, product, now).await?;
    S::commit(tx).await
}

/// Open checkouts younger than [`PENDING_FOR`]; older ones are marked expired.
pub(crate) async fn pending<S: LedgerStore>(
    store: &S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PendingCheckout>>
where
    S::Conn: CheckoutRows,
{
    let mut tx = store.begin_write().await?;
    tx.expire_pending(user_id, now - PENDING_FOR, now).await?;
    S::commit(tx).await?;
    store.read().await?.pending_checkouts(user_id).await
}

/// Marks the oldest open checkout of `product` fulfilled by `invoice_id`.
pub(crate) async fn fulfil<S: LedgerStore>(
    store: &S,
    user_id: &str,
    product: &str,
    invoice_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()>
where
    S::Conn: CheckoutRows,
{
    let mut tx = store.begin_write().await?;
    tx.fulfil_oldest(user_id, product, invoice_id, now).await?;
    S::commit(tx).await
}

/// The user left the checkout (`banter://purchase/cancel`).
pub(crate) async fn cancel<S: LedgerStore>(
    store: &S,
    user_id: &str,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<()>
where
    S::Conn: CheckoutRows,
{
    let mut tx = store.begin_write().await?;
    tx.end_pending(user_id, reference, CheckoutStatus::Cancelled, now)
        .await?;
    S::commit(tx).await
}

impl CheckoutRows for sqlx::SqliteConnection {
    async fn insert_checkout(
        &mut self,
        user_id: &str,
        reference: &str,
        product: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO purchase_checkouts (reference, user_id, product, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(reference)
        .bind(user_id)
        .bind(product)
        .bind(now)
        .bind(now)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn expire_pending(
        &mut self,
        user_id: &str,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE purchase_checkouts SET status = 'expired', updated_at = ?
              WHERE user_id = ? AND status = 'pending' AND created_at < ?",
        )
        .bind(now)
        .bind(user_id)
        .bind(cutoff)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn pending_checkouts(&mut self, user_id: &str) -> Result<Vec<PendingCheckout>> {
        Ok(sqlx::query_as(
            "SELECT reference, product, created_at FROM purchase_checkouts
              WHERE user_id = ? AND status = 'pending' ORDER BY created_at, reference",
        )
        .bind(user_id)
        .fetch_all(self)
        .await?)
    }

    async fn fulfil_oldest(
        &mut self,
        user_id: &str,
        product: &str,
        invoice_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE purchase_checkouts SET status = 'fulfilled', invoice_id = ?, updated_at = ?
              WHERE reference = (SELECT reference FROM purchase_checkouts
                                  WHERE user_id = ? AND product = ? AND status = 'pending'
                                  ORDER BY created_at, reference LIMIT 1)",
        )
        .bind(invoice_id)
        .bind(now)
        .bind(user_id)
        .bind(product)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn end_pending(
        &mut self,
        user_id: &str,
        reference: &str,
        status: CheckoutStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE purchase_checkouts SET status = ?, updated_at = ?
              WHERE user_id = ? AND reference = ? AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(user_id)
        .bind(reference)
        .execute(self)
        .await?;
        Ok(())
    }
}

impl CheckoutRows for sqlx::PgConnection {
    async fn insert_checkout(
        &mut self,
        user_id: &str,
        reference: &str,
        product: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO purchase_checkouts (reference, user_id, product, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(reference)
        .bind(user_id)
        .bind(product)
        .bind(now)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn expire_pending(
        &mut self,
        user_id: &str,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE purchase_checkouts SET status = 'expired', updated_at = $1
              WHERE user_id = $2 AND status = 'pending' AND created_at < $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(cutoff)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn pending_checkouts(&mut self, user_id: &str) -> Result<Vec<PendingCheckout>> {
        Ok(sqlx::query_as(
            "SELECT reference, product, created_at FROM purchase_checkouts
              WHERE user_id = $1 AND status = 'pending' ORDER BY created_at, reference",
        )
        .bind(user_id)
        .fetch_all(self)
        .await?)
    }

    async fn fulfil_oldest(
        &mut self,
        user_id: &str,
        product: &str,
        invoice_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // SKIP LOCKED: two instances fulfilling two invoices of one product
        // at once take two different checkouts.
        sqlx::query(
            "UPDATE purchase_checkouts SET status = 'fulfilled', invoice_id = $1, updated_at = $2
              WHERE reference = (SELECT reference FROM purchase_checkouts
                                  WHERE user_id = $3 AND product = $4 AND status = 'pending'
                                  ORDER BY created_at, reference LIMIT 1
                                  FOR UPDATE SKIP LOCKED)",
        )
        .bind(invoice_id)
        .bind(now)
        .bind(user_id)
        .bind(product)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn end_pending(
        &mut self,
        user_id: &str,
        reference: &str,
        status: CheckoutStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE purchase_checkouts SET status = $1, updated_at = $2
              WHERE user_id = $3 AND reference = $4 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(user_id)
        .bind(reference)
        .execute(self)
        .await?;
        Ok(())
    }
}
