//! The `purchase_checkouts` table: which checkouts are still open.

use crate::db::Db;
use crate::error::Result;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// A checkout left open this long is no longer polled for.
pub const PENDING_FOR: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingCheckout {
    pub reference: String,
    pub product: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) async fn open(
    db: &Db,
    user_id: &str,
    reference: &str,
    product: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let write = sqlx::query(
        "INSERT INTO purchase_checkouts (reference, user_id, product, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(reference)
    .bind(user_id)
    .bind(product)
    .bind(now)
    .bind(now);
    db.write_one(write).await?;
    Ok(())
}

/// Open checkouts younger than [`PENDING_FOR`]; older ones are marked expired.
pub(crate) async fn pending(
    db: &Db,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PendingCheckout>> {
    let write = sqlx::query(
        "UPDATE purchase_checkouts SET status = 'expired', updated_at = ?
          WHERE user_id = ? AND status = 'pending' AND created_at < ?",
    )
    .bind(now)
    .bind(user_id)
    .bind(now - PENDING_FOR);
    db.write_one(write).await?;
    Ok(sqlx::query_as(
        "SELECT reference, product, created_at FROM purchase_checkouts
          WHERE user_id = ? AND status = 'pending' ORDER BY created_at, reference",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?)
}

/// Marks the oldest open checkout of `product` fulfilled by `invoice_id`.
pub(crate) async fn fulfil(
    db: &Db,
    user_id: &str,
    product: &str,
    invoice_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let write = sqlx::query(
        "UPDATE purchase_checkouts SET status = 'fulfilled', invoice_id = ?, updated_at = ?
          WHERE reference = (SELECT reference FROM purchase_checkouts
                              WHERE user_id = ? AND product = ? AND status = 'pending'
                              ORDER BY created_at, reference LIMIT 1)",
    )
    .bind(invoice_id)
    .bind(now)
    .bind(user_id)
    .bind(product);
    db.write_one(write).await?;
    Ok(())
}

/// The user left the checkout (`banter://purchase/cancel`).
pub(crate) async fn cancel(
    db: &Db,
    user_id: &str,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let write = sqlx::query(
        "UPDATE purchase_checkouts SET status = 'cancelled', updated_at = ?
          WHERE user_id = ? AND reference = ? AND status = 'pending'",
    )
    .bind(now)
    .bind(user_id)
    .bind(reference);
    db.write_one(write).await?;
    Ok(())
}
