//! The credit ledger: balances, spends, refunds, purchases and monthly resets.
//!
//! Every change happens in one `BEGIN IMMEDIATE` transaction that (1) applies
//! a due monthly reset, (2) changes the buckets with a conditional UPDATE,
//! (3) appends one row to the append-only `credit_transactions`, and — for a
//! spend — (4) writes the action's own first row. Idempotency keys make a
//! retried command a no-op. See `docs/architecture.md` for the rules.

mod costs;
mod fingerprint;
pub(crate) mod ops;
mod paid;
mod period;
mod postgres_rows;
pub mod rows;
mod sqlite_rows;

pub use costs::{
    crossed_low, Action, Band, Costs, FREE_MONTHLY_CREDITS, HEALTHY_BALANCE_THRESHOLD,
    LOW_BALANCE_THRESHOLD,
};
pub use fingerprint::Fingerprint;
pub use paid::{CheckStep, CheckedRowStep, Paid, Refunds, RowStep};
pub use period::{next_reset, reset_due, Period};
pub use sqlite_rows::ENTRY_COLUMNS;

use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::ErrorCode;
use crate::error::Result;
use crate::events::{DomainEvent, EventBus};
use chrono::{DateTime, Utc};
use ops::Usage;
use rows::{LedgerRows, LedgerStore};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("not enough credits: this needs {needed}, you have {available}")]
    InsufficientCredits { needed: i64, available: i64 },
    #[error("idempotency key {key:?} was already used for a different request; use a new key")]
    IdempotencyConflict { key: String },
    #[error("ledger entry {id} cannot be refunded: {reason}")]
    NotRefundable { id: i64, reason: &'static str },
    #[error("invalid credit amount {amount}: {reason}")]
    InvalidAmount { amount: i64, reason: &'static str },
    #[error("the credit ledger of {user_id} does not add up: {detail}")]
    Inconsistent { user_id: String, detail: String },
}

impl LedgerError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InsufficientCredits { .. } => ErrorCode::InsufficientCredits,
            Self::IdempotencyConflict { .. } => ErrorCode::IdempotencyConflict,
            Self::NotRefundable { .. } => ErrorCode::NotRefundable,
            Self::InvalidAmount { .. } => ErrorCode::InvalidAmount,
            Self::Inconsistent { .. } => ErrorCode::LedgerInconsistent,
        }
    }

    /// A reused idempotency key counts as the user's to fix: keys come from
    /// the caller (`--idempotency-key` in the CLI), and the fix is a new key.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::InsufficientCredits { .. }
                | Self::InvalidAmount { .. }
                | Self::IdempotencyConflict { .. }
        )
    }
}

/// What a ledger row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum EntryKind {
    SignupGrant,
    MonthlyReset,
    Spend,
    Refund,
    Purchase,
}

impl EntryKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignupGrant => "signup_grant",
            Self::MonthlyReset => "monthly_reset",
            Self::Spend => "spend",
            Self::Refund => "refund",
            Self::Purchase => "purchase",
        }
    }

    /// The stored idempotency key: `<kind>:<key>`. Each kind has its own
    /// namespace, so a caller's key can never collide with the keys the
    /// ledger makes for itself (refunds, resets, the signup grant).
    pub fn key(self, key: &str) -> String {
        format!("{}:{key}", self.as_str())
    }
}

/// One row of the append-only ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub id: i64,
    pub user_id: String,
    pub kind: EntryKind,
    pub action: Option<Action>,
    /// The change to the balance (negative for spends).
    pub amount: i64,
    pub free_delta: i64,
    pub purchased_delta: i64,
    /// The action's price on the free plan (also recorded for Pro, who pay 0).
    pub nominal_cost: Option<i64>,
    pub balance_after: i64,
    /// What it paid for: a message id, a purchase id, ...
    pub reference: Option<String>,
    pub refund_of: Option<i64>,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
}

/// Ledger rows, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LedgerPage {
    pub entries: Vec<LedgerEntry>,
    /// Row id to pass as `before` for older rows; `None` at the first row.
    pub older_cursor: Option<i64>,
}

/// The balance as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// Free plus purchased: the PRD's `creditsRemaining`.
    pub remaining: i64,
    pub free_remaining: i64,
    pub purchased_remaining: i64,
    /// Available at the start of the period plus purchases since ("of N").
    pub total: i64,
    pub last_reset: DateTime<Utc>,
    pub next_reset: DateTime<Utc>,
    pub pro: bool,
    pub pro_until: Option<DateTime<Utc>>,
    pub band: Band,
    pub low: bool,
}

impl Balance {
    fn from_usage(u: &Usage, now: DateTime<Utc>) -> Self {
        let remaining = u.remaining();
        Self {
            remaining,
            free_remaining: u.free_remaining,
            purchased_remaining: u.purchased_remaining,
            total: u.credits_total,
            last_reset: u.last_credit_reset,
            next_reset: next_reset(u.last_credit_reset),
            pro: u.pro_active(now),
            pro_until: u.pro_until,
            band: Band::of(remaining),
            low: remaining < LOW_BALANCE_THRESHOLD,
        }
    }
}

/// A request to pay for one action.
#[derive(Debug, Clone)]
pub struct SpendRequest {
    pub user_id: String,
    pub action: Action,
    /// Same key, same charge: a retry with this key never charges twice.
    pub idempotency_key: String,
    pub reference: Option<String>,
    /// The request the key is bound to (see [`Fingerprint`]): a retry with
    /// the same key and another fingerprint is an `idempotency_conflict`.
    /// `None` binds the key to the action only, as rows written before
    /// fingerprints were; every product path passes one.
    pub fingerprint: Option<Fingerprint>,
}

/// The result of a ledger change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub entry: LedgerEntry,
    /// True when the idempotency key had been used: nothing changed now.
    pub replayed: bool,
}

/// What `verify` checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub entries: i64,
    pub ledger_sum: i64,
    pub balance: i64,
    pub free_remaining: i64,
    pub purchased_remaining: i64,
}

/// A future borrowed from a transaction's connection.
pub type TxFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// The ledger on a store: the desktop's SQLite ([`Db`], the default) or the
/// server's Postgres ([`crate::db::postgres::PgStore`]). The rules are the
/// same code for both; only the statements differ (see [`rows`]).
#[derive(Debug, Clone)]
pub struct Ledger<S: LedgerStore = Db> {
    store: S,
    clock: SharedClock,
    events: EventBus,
}

impl<S: LedgerStore> Ledger<S> {
    pub fn new(store: S, clock: SharedClock, events: EventBus) -> Self {
        Self {
            store,
            clock,
            events,
        }
    }

    /// Creates `user_id`'s buckets and grants the signup credits, inside the
    /// caller's transaction (the one that creates the user).
    pub async fn open_account_in(&self, conn: &mut S::Conn, user_id: &str) -> Result<LedgerEntry> {
        ops::signup_grant(conn, user_id, self.clock.now()).await
    }

    /// The balance. Reading it counts as a credit-touching action: the first
    /// read in a new month applies that month's reset.
    pub async fn balance(&self, user_id: &str) -> Result<Balance> {
        let now = self.clock.now();
        let usage = self.store.read().await?.load_usage(user_id).await?;
        if !reset_due(usage.last_credit_reset, now) {
            return Ok(Balance::from_usage(&usage, now));
        }
        let mut tx = self.store.begin_write().await?;
        // Re-read under the write lock: another writer may have reset already.
        let usage = tx.lock_usage(user_id).await?;
        let (usage, reset) = ops::apply_reset_if_due(&mut *tx, user_id, usage, now).await?;
        S::commit(tx).await?;
        if let Some(entry) = reset {
            self.announce(&entry, usage.credits_total);
        }
        Ok(Balance::from_usage(&usage, now))
    }

    /// The balance of buckets a caller's write read (with the rows it
    /// changed). No reset is applied here; reads outside a write use
    /// [`Self::balance`], which applies one.
    pub(crate) fn balance_of(&self, usage: &Usage) -> Balance {
        Balance::from_usage(usage, self.clock.now())
    }

    /// Pays for `req.action` alone.
    pub async fn spend(&self, req: SpendRequest) -> Result<Receipt> {
        let paid = self
            .pay(
                req,
                Box::new(|_, _| Box::pin(async { Ok(()) })),
                Box::new(|_, _| Box::pin(async { Ok(()) })),
            )
            .await?;
        Ok(Receipt {
            entry: paid.entry,
            replayed: paid.replayed,
        })
    }

    /// Refunds spend `spend_id` once; a second call replays the first refund.
    pub async fn refund(&self, spend_id: i64) -> Result<Receipt> {
        let mut refunds = self.begin_refunds().await?;
        let receipt = refunds.refund(spend_id).await?;
        refunds.commit().await?;
        Ok(receipt)
    }

    /// Adds `credits` purchased credits, once per `idempotency_key` (the
    /// billing provider's stable purchase id).
    pub async fn credit_purchase(
        &self,
        user_id: &str,
        credits: i64,
        idempotency_key: &str,
        reference: Option<&str>,
    ) -> Result<Receipt> {
        let now = self.clock.now();
        let key = EntryKind::Purchase.key(idempotency_key);
        let mut tx = self.store.begin_write().await?;
        let loaded = tx.load_for_change(user_id, &key).await?;
        if let Some(id) = loaded.used_by {
            let entry = tx.find_by_id(id).await?;
            ensure_same(&entry, user_id, EntryKind::Purchase, None)?;
            return Ok(Receipt {
                entry,
                replayed: true,
            });
        }
        let (usage, _) = ops::apply_reset_if_due(&mut *tx, user_id, loaded.usage, now).await?;
        let entry = ops::purchase(&mut *tx, &usage, user_id, credits, &key, reference, now).await?;
        let total = tx.load_usage(user_id).await?.credits_total;
        S::commit(tx).await?;
        self.announce(&entry, total);
        Ok(Receipt {
            entry,
            replayed: false,
        })
    }

    /// Sets (or clears) the end of the verified Pro period.
    pub async fn set_pro_until(&self, user_id: &str, until: Option<DateTime<Utc>>) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let found = tx.set_pro_until(user_id, until, self.clock.now()).await?;
        S::commit(tx).await?;
        if !found {
            return Err(crate::Error::not_found("profile", user_id));
        }
        Ok(())
    }

    /// Ledger rows, newest first, before row id `before` when given.
    pub async fn history(
        &self,
        user_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<LedgerEntry>> {
        self.store
            .read()
            .await?
            .history(
                user_id,
                before.unwrap_or(i64::MAX),
                i64::from(limit.clamp(1, 1000)),
            )
            .await
    }

    /// A page of [`Ledger::history`] for the credit history screen.
    pub async fn history_page(
        &self,
        user_id: &str,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<LedgerPage> {
        let limit = limit.unwrap_or(50).clamp(1, 500);
        let mut entries = self.history(user_id, before, limit + 1).await?;
        let older_cursor = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(LedgerPage {
            entries,
            older_cursor,
        })
    }

    /// Proves the ledger adds up: the rows sum to the balance, bucket by
    /// bucket, and every row's `balance_after` equals the running sum.
    pub async fn verify(&self, user_id: &str) -> Result<VerifyReport> {
        let mut conn = self.store.snapshot().await?;
        let usage = conn.load_usage(user_id).await?;
        let sums = conn.sums(user_id).await?;
        let broken_row = conn.first_broken_row(user_id).await?;
        let inconsistent = |detail: String| LedgerError::Inconsistent {
            user_id: user_id.to_string(),
            detail,
        };
        if let Some((id, after, running)) = broken_row {
            return Err(inconsistent(format!(
                "row {id} says balance {after}, running sum is {running}"
            ))
            .into());
        }
        if sums.free != usage.free_remaining || sums.purchased != usage.purchased_remaining {
            return Err(inconsistent(format!(
                "ledger free/purchased {}/{}, buckets {}/{}",
                sums.free, sums.purchased, usage.free_remaining, usage.purchased_remaining
            ))
            .into());
        }
        Ok(VerifyReport {
            entries: sums.entries,
            ledger_sum: sums.amount,
            balance: usage.remaining(),
            free_remaining: usage.free_remaining,
            purchased_remaining: usage.purchased_remaining,
        })
    }

    /// Tells subscribers about a committed change (and a drop below
    /// [`LOW_BALANCE_THRESHOLD`]).
    pub(crate) fn announce(&self, entry: &LedgerEntry, total: i64) {
        let after = entry.balance_after;
        self.events.emit(DomainEvent::CreditsChanged {
            remaining: after,
            total,
        });
        if crossed_low(after - entry.amount, after) {
            self.events
                .emit(DomainEvent::CreditsLow { remaining: after });
        }
    }
}

/// A reused idempotency key must name the same kind of operation.
fn ensure_same(
    entry: &LedgerEntry,
    user_id: &str,
    kind: EntryKind,
    action: Option<Action>,
) -> Result<()> {
    if entry.user_id != user_id
        || entry.kind != kind
        || (action.is_some() && entry.action != action)
    {
        return Err(LedgerError::IdempotencyConflict {
            key: entry.idempotency_key.clone(),
        }
        .into());
    }
    Ok(())
}

/// A reused spend key must carry the fingerprint of the request it was first
/// used for. Rows from before fingerprints (`stored` is `None`) and callers
/// that bind no request (`asked` is `None`) keep the action-only rule above.
fn ensure_same_request(
    entry: &LedgerEntry,
    stored: Option<&str>,
    asked: Option<&Fingerprint>,
) -> Result<()> {
    match (stored, asked) {
        (Some(stored), Some(asked)) if stored != asked.as_str() => {
            Err(LedgerError::IdempotencyConflict {
                key: entry.idempotency_key.clone(),
            }
            .into())
        }
        _ => Ok(()),
    }
}
