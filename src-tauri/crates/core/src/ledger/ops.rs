//! Ledger primitives that run inside a caller's write transaction. Each one
//! changes the buckets with a conditional UPDATE and appends exactly one
//! ledger row, so the two can never disagree once the transaction commits.

use super::costs::{Action, FREE_MONTHLY_CREDITS};
use super::period::{reset_due, Period};
use super::{EntryKind, LedgerEntry, LedgerError};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// A user's bucket state as stored in `user_usage`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Usage {
    pub free_remaining: i64,
    pub purchased_remaining: i64,
    pub credits_total: i64,
    pub last_credit_reset: DateTime<Utc>,
    pub pro_until: Option<DateTime<Utc>>,
}

impl Usage {
    pub fn remaining(&self) -> i64 {
        self.free_remaining + self.purchased_remaining
    }

    pub fn pro_active(&self, now: DateTime<Utc>) -> bool {
        self.pro_until.is_some_and(|until| now < until)
    }
}

/// One row to append to `credit_transactions`.
pub(crate) struct NewEntry<'a> {
    pub user_id: &'a str,
    pub kind: EntryKind,
    pub action: Option<Action>,
    pub free_delta: i64,
    pub purchased_delta: i64,
    pub nominal_cost: Option<i64>,
    pub balance_after: i64,
    pub reference: Option<&'a str>,
    pub refund_of: Option<i64>,
    pub idempotency_key: &'a str,
    pub at: DateTime<Utc>,
}

pub(crate) const ENTRY_COLUMNS: &str =
    "id, user_id, kind, action, amount, free_delta, purchased_delta, \
     nominal_cost, balance_after, reference, refund_of, idempotency_key, created_at";

pub(crate) async fn load_usage(conn: &mut SqliteConnection, user_id: &str) -> Result<Usage> {
    sqlx::query_as(
        "SELECT free_remaining, purchased_remaining, credits_total, last_credit_reset, pro_until
           FROM user_usage WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("profile", user_id))
}

pub(crate) async fn insert_entry(
    conn: &mut SqliteConnection,
    e: NewEntry<'_>,
) -> Result<LedgerEntry> {
    let sql = format!(
        "INSERT INTO credit_transactions
            (user_id, kind, action, amount, free_delta, purchased_delta, nominal_cost,
             balance_after, reference, refund_of, idempotency_key, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING {ENTRY_COLUMNS}"
    );
    Ok(sqlx::query_as(&sql)
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
        .bind(e.at)
        .fetch_one(conn)
        .await?)
}

pub(crate) async fn find_by_key(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<LedgerEntry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM credit_transactions WHERE idempotency_key = ?");
    Ok(sqlx::query_as(&sql).bind(key).fetch_optional(conn).await?)
}

pub(crate) async fn find_by_id(conn: &mut SqliteConnection, id: i64) -> Result<LedgerEntry> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM credit_transactions WHERE id = ?");
    sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("ledger entry", id))
}

/// Creates the usage row with the signup grant of free credits.
pub(crate) async fn signup_grant(
    conn: &mut SqliteConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    sqlx::query(
        "INSERT INTO user_usage
            (user_id, free_remaining, purchased_remaining, credits_total, last_credit_reset, updated_at)
         VALUES (?, ?, 0, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(FREE_MONTHLY_CREDITS)
    .bind(FREE_MONTHLY_CREDITS)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let key = format!("signup:{user_id}");
    insert_entry(
        conn,
        NewEntry {
            user_id,
            kind: EntryKind::SignupGrant,
            action: None,
            free_delta: FREE_MONTHLY_CREDITS,
            purchased_delta: 0,
            nominal_cost: None,
            balance_after: FREE_MONTHLY_CREDITS,
            reference: None,
            refund_of: None,
            idempotency_key: &key,
            at: now,
        },
    )
    .await
}

/// Refills the free bucket when `now` is in a later month than the last
/// refill. Runs under the write lock, so racing callers see the first one's
/// refill and do nothing; the per-month idempotency key backs that up.
pub(crate) async fn apply_reset_if_due(
    conn: &mut SqliteConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<LedgerEntry>> {
    let usage = load_usage(conn, user_id).await?;
    if !reset_due(usage.last_credit_reset, now) {
        return Ok(None);
    }
    let updated = sqlx::query(
        "UPDATE user_usage
            SET free_remaining = ?, credits_total = ? + purchased_remaining,
                last_credit_reset = ?, updated_at = ?
          WHERE user_id = ? AND last_credit_reset = ?",
    )
    .bind(FREE_MONTHLY_CREDITS)
    .bind(FREE_MONTHLY_CREDITS)
    .bind(now)
    .bind(now)
    .bind(user_id)
    .bind(usage.last_credit_reset)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    let key = format!("monthly_reset:{user_id}:{}", Period::of(now).key());
    let entry = insert_entry(
        conn,
        NewEntry {
            user_id,
            kind: EntryKind::MonthlyReset,
            action: None,
            free_delta: FREE_MONTHLY_CREDITS - usage.free_remaining,
            purchased_delta: 0,
            nominal_cost: None,
            balance_after: FREE_MONTHLY_CREDITS + usage.purchased_remaining,
            reference: None,
            refund_of: None,
            idempotency_key: &key,
            at: now,
        },
    )
    .await?;
    tracing::info!(user_id, period = %Period::of(now).key(), "monthly credits reset");
    Ok(Some(entry))
}

/// Takes `action`'s cost, free bucket first. Pro users pay 0 but the row
/// still records the nominal cost.
pub(crate) async fn spend(
    conn: &mut SqliteConnection,
    user_id: &str,
    action: Action,
    idempotency_key: &str,
    reference: Option<&str>,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    let usage = load_usage(conn, user_id).await?;
    let cost = action.cost();
    let (free_take, purchased_take) = if usage.pro_active(now) {
        (0, 0)
    } else {
        if usage.remaining() < cost {
            return Err(insufficient(cost, usage.remaining()));
        }
        let free_take = usage.free_remaining.min(cost);
        (free_take, cost - free_take)
    };
    // The WHERE clause is the guard: it never lets a bucket go below zero,
    // whatever happened since `usage` was read.
    let balance_after: Option<i64> = sqlx::query_scalar(
        "UPDATE user_usage
            SET free_remaining = free_remaining - ?1,
                purchased_remaining = purchased_remaining - ?2,
                updated_at = ?3
          WHERE user_id = ?4 AND free_remaining >= ?1 AND purchased_remaining >= ?2
          RETURNING free_remaining + purchased_remaining",
    )
    .bind(free_take)
    .bind(purchased_take)
    .bind(now)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let balance_after = balance_after.ok_or_else(|| insufficient(cost, usage.remaining()))?;
    insert_entry(
        conn,
        NewEntry {
            user_id,
            kind: EntryKind::Spend,
            action: Some(action),
            free_delta: -free_take,
            purchased_delta: -purchased_take,
            nominal_cost: Some(cost),
            balance_after,
            reference,
            refund_of: None,
            idempotency_key,
            at: now,
        },
    )
    .await
}

/// Gives back what `spend` took, to the buckets it came from. Free credits
/// taken in an earlier month are not restored: they would have expired at
/// the reset anyway, and restoring them would roll them over.
pub(crate) async fn refund(
    conn: &mut SqliteConnection,
    spend: &LedgerEntry,
    idempotency_key: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    if spend.kind != EntryKind::Spend {
        return Err(LedgerError::NotRefundable {
            id: spend.id,
            reason: "only spends can be refunded",
        }
        .into());
    }
    let free_back = if Period::of(spend.created_at) == Period::of(now) {
        -spend.free_delta
    } else {
        0
    };
    let purchased_back = -spend.purchased_delta;
    let balance_after: i64 = sqlx::query_scalar(
        "UPDATE user_usage
            SET free_remaining = free_remaining + ?, purchased_remaining = purchased_remaining + ?,
                updated_at = ?
          WHERE user_id = ?
          RETURNING free_remaining + purchased_remaining",
    )
    .bind(free_back)
    .bind(purchased_back)
    .bind(now)
    .bind(&spend.user_id)
    .fetch_one(&mut *conn)
    .await?;
    insert_entry(
        conn,
        NewEntry {
            user_id: &spend.user_id,
            kind: EntryKind::Refund,
            action: spend.action,
            free_delta: free_back,
            purchased_delta: purchased_back,
            nominal_cost: spend.nominal_cost,
            balance_after,
            reference: spend.reference.as_deref(),
            refund_of: Some(spend.id),
            idempotency_key,
            at: now,
        },
    )
    .await
}

/// Adds purchased credits (they never expire) and raises the period total.
pub(crate) async fn purchase(
    conn: &mut SqliteConnection,
    user_id: &str,
    credits: i64,
    idempotency_key: &str,
    reference: Option<&str>,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    if credits <= 0 {
        return Err(LedgerError::InvalidAmount {
            amount: credits,
            reason: "a purchase adds credits",
        }
        .into());
    }
    let balance_after: Option<i64> = sqlx::query_scalar(
        "UPDATE user_usage
            SET purchased_remaining = purchased_remaining + ?1, credits_total = credits_total + ?1,
                updated_at = ?2
          WHERE user_id = ?3
          RETURNING free_remaining + purchased_remaining",
    )
    .bind(credits)
    .bind(now)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let balance_after = balance_after.ok_or_else(|| Error::not_found("profile", user_id))?;
    insert_entry(
        conn,
        NewEntry {
            user_id,
            kind: EntryKind::Purchase,
            action: None,
            free_delta: 0,
            purchased_delta: credits,
            nominal_cost: None,
            balance_after,
            reference,
            refund_of: None,
            idempotency_key,
            at: now,
        },
    )
    .await
}

fn insufficient(needed: i64, available: i64) -> Error {
    LedgerError::InsufficientCredits { needed, available }.into()
}
