//! Ledger primitives that run inside a caller's write transaction. Each one
//! decides a change from the current buckets and appends exactly one ledger
//! row; the `credit_transactions_apply` trigger (migrations/) applies the
//! row's deltas to `user_usage`, whose `CHECK (… >= 0)` constraints refuse an
//! overdraft. The buckets therefore never move without a ledger row.
//!
//! They are the rules; the SQL they run is behind [`LedgerRows`], so the
//! desktop's SQLite and the server's Postgres apply the same ones.

use super::costs::{Action, FREE_MONTHLY_CREDITS};
use super::period::{reset_due, Period};
use super::rows::LedgerRows;
use super::{EntryKind, Fingerprint, LedgerEntry, LedgerError, SpendRequest};
use crate::error::Result;
use chrono::{DateTime, Utc};

/// A user's bucket state as stored in `user_usage`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Usage {
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

    /// The buckets once `entry` (a spend or refund written against these
    /// buckets) is applied; the period total does not move for either.
    pub fn after(&self, entry: &LedgerEntry) -> Self {
        Self {
            free_remaining: self.free_remaining + entry.free_delta,
            purchased_remaining: self.purchased_remaining + entry.purchased_delta,
            ..self.clone()
        }
    }
}

/// One row to append to `credit_transactions`.
pub struct NewEntry<'a> {
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
    /// The request a spend paid for (see `super::Fingerprint`); `None` for
    /// the ledger's own rows.
    pub fingerprint: Option<&'a str>,
    pub at: DateTime<Utc>,
}

impl NewEntry<'_> {
    /// The row as stored, once the database gave it `id`.
    pub fn written(&self, id: i64) -> LedgerEntry {
        LedgerEntry {
            id,
            user_id: self.user_id.to_string(),
            kind: self.kind,
            action: self.action,
            amount: self.free_delta + self.purchased_delta,
            free_delta: self.free_delta,
            purchased_delta: self.purchased_delta,
            nominal_cost: self.nominal_cost,
            balance_after: self.balance_after,
            reference: self.reference.map(str::to_string),
            refund_of: self.refund_of,
            idempotency_key: self.idempotency_key.to_string(),
            created_at: self.at,
        }
    }
}

/// A user's usage and the ledger row (if any) that already used an
/// idempotency key, with that row's request fingerprint.
#[derive(Debug, sqlx::FromRow)]
pub struct UsageAndKey {
    #[sqlx(flatten)]
    pub usage: Usage,
    pub used_by: Option<i64>,
    pub used_fingerprint: Option<String>,
}

/// Creates the (empty) usage row and the signup grant of free credits.
pub(crate) async fn signup_grant<C: LedgerRows + ?Sized>(
    conn: &mut C,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    conn.create_usage(user_id, now).await?;
    let key = EntryKind::SignupGrant.key(user_id);
    conn.insert_entry(NewEntry {
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
        fingerprint: None,
        at: now,
    })
    .await
}

/// Refills the free bucket when `now` is in a later month than the last
/// refill, and returns the buckets as they now are. Runs under the write
/// lock, so racing callers see the first one's refill and do nothing; the
/// per-month idempotency key backs that up.
pub(crate) async fn apply_reset_if_due<C: LedgerRows + ?Sized>(
    conn: &mut C,
    user_id: &str,
    usage: Usage,
    now: DateTime<Utc>,
) -> Result<(Usage, Option<LedgerEntry>)> {
    if !reset_due(usage.last_credit_reset, now) {
        return Ok((usage, None));
    }
    let key = EntryKind::MonthlyReset.key(&format!("{user_id}:{}", Period::of(now).key()));
    let entry = conn
        .insert_entry(NewEntry {
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
            fingerprint: None,
            at: now,
        })
        .await?;
    tracing::info!(user_id, period = %Period::of(now).key(), "monthly credits reset");
    Ok((conn.lock_usage(user_id).await?, Some(entry)))
}

/// Takes `req.action`'s cost, free bucket first, under the stored key
/// `idempotency_key`. Pro users pay 0 but the row still records the nominal
/// cost.
pub(crate) async fn spend<C: LedgerRows + ?Sized>(
    conn: &mut C,
    usage: &Usage,
    req: &SpendRequest,
    idempotency_key: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    let action = req.action;
    let cost = action.cost();
    let (free_take, purchased_take) = if usage.pro_active(now) {
        (0, 0)
    } else if usage.remaining() < cost {
        return Err(LedgerError::InsufficientCredits {
            needed: cost,
            available: usage.remaining(),
        }
        .into());
    } else {
        let free_take = usage.free_remaining.min(cost);
        (free_take, cost - free_take)
    };
    conn.insert_entry(NewEntry {
        user_id: &req.user_id,
        kind: EntryKind::Spend,
        action: Some(action),
        free_delta: -free_take,
        purchased_delta: -purchased_take,
        nominal_cost: Some(cost),
        balance_after: usage.remaining() - free_take - purchased_take,
        reference: req.reference.as_deref(),
        refund_of: None,
        idempotency_key,
        fingerprint: req.fingerprint.as_ref().map(Fingerprint::as_str),
        at: now,
    })
    .await
}

/// Gives back what `spend` took, to the buckets it came from. Free credits
/// are restored only if no monthly reset came after the spend in the ledger:
/// otherwise they expired at that reset, and restoring them would roll them
/// over. Ledger order decides, not clocks, so a clock that moved is harmless.
pub(crate) async fn refund<C: LedgerRows + ?Sized>(
    conn: &mut C,
    usage: &Usage,
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
    let reset_since = conn.reset_since(&spend.user_id, spend.id).await?;
    let free_back = if reset_since { 0 } else { -spend.free_delta };
    let purchased_back = -spend.purchased_delta;
    conn.insert_entry(NewEntry {
        user_id: &spend.user_id,
        kind: EntryKind::Refund,
        action: spend.action,
        free_delta: free_back,
        purchased_delta: purchased_back,
        nominal_cost: spend.nominal_cost,
        balance_after: usage.remaining() + free_back + purchased_back,
        reference: spend.reference.as_deref(),
        refund_of: Some(spend.id),
        idempotency_key,
        fingerprint: None,
        at: now,
    })
    .await
}

/// Adds purchased credits (they never expire); the trigger also raises the
/// period total by the same amount.
pub(crate) async fn purchase<C: LedgerRows + ?Sized>(
    conn: &mut C,
    usage: &Usage,
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
    conn.insert_entry(NewEntry {
        user_id,
        kind: EntryKind::Purchase,
        action: None,
        free_delta: 0,
        purchased_delta: credits,
        nominal_cost: None,
        balance_after: usage.remaining() + credits,
        reference,
        refund_of: None,
        idempotency_key,
        fingerprint: None,
        at: now,
    })
    .await
}
