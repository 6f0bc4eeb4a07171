//! The paid-action protocol, written once.
//!
//! Paying: [`Ledger::pay`] charges an action and writes its own first row in
//! the same transaction; a reused idempotency key finds the earlier action's
//! row instead (in that same transaction) and charges nothing. Failing:
//! [`Ledger::begin_refunds`] opens a transaction in which the caller marks
//! the failed action's rows and refunds its spend; [`Refunds::commit`] is the
//! only way to keep a refund, and it announces every refund it commits, so
//! an announce cannot be forgotten.

use super::ops::{self, Usage};
use super::rows::{LedgerRows, LedgerStore};
use super::{
    ensure_same, ensure_same_request, Balance, EntryKind, Ledger, LedgerEntry, Receipt,
    SpendRequest, TxFuture,
};
use crate::db::Db;
use crate::error::Result;

/// What [`Ledger::pay`] charged (or found) and the action's row.
#[derive(Debug)]
pub struct Paid<T> {
    /// The spend's ledger row (the earlier one on a replay).
    pub entry: LedgerEntry,
    /// The action's row: written now, or the earlier one on a replay.
    pub value: T,
    /// True when the key had been used: nothing was charged or written.
    pub replayed: bool,
    /// The balance once this spend committed.
    pub balance: Balance,
}

/// One action's writer for the `first_row` and `earlier` steps of
/// [`Ledger::pay`]: it gets the transaction and the spend's ledger row.
/// `C` is the store's connection (SQLite's unless said otherwise).
pub type RowStep<T, C = <Db as LedgerStore>::Conn> =
    Box<dyn for<'c> FnOnce(&'c mut C, &'c LedgerEntry) -> TxFuture<'c, T> + Send>;

/// The `check` step of [`Ledger::pay_checked`]: it gets the transaction
/// before anything is charged or replayed, and refuses by failing; what it
/// read (`K`) goes to the `first_row` step.
pub type CheckStep<K, C = <Db as LedgerStore>::Conn> =
    Box<dyn for<'c> FnOnce(&'c mut C) -> TxFuture<'c, K> + Send>;

/// The `first_row` step of [`Ledger::pay_checked`]: a [`RowStep`] that is
/// also handed what the check read.
pub type CheckedRowStep<K, T, C = <Db as LedgerStore>::Conn> =
    Box<dyn for<'c> FnOnce(&'c mut C, &'c LedgerEntry, K) -> TxFuture<'c, T> + Send>;

impl<S: LedgerStore> Ledger<S> {
    /// Pays for `req.action` and runs `first_row` — the action's own first
    /// write, handed the spend's ledger row — in the same transaction: if it
    /// fails, nothing is charged. A reused key whose first request was the
    /// same (action and fingerprint) runs `earlier` instead, which finds the
    /// first request's row; a reused key for another request is refused as
    /// `idempotency_conflict`, charging nothing.
    pub async fn pay<T: 'static>(
        &self,
        req: SpendRequest,
        first_row: RowStep<T, S::Conn>,
        earlier: RowStep<T, S::Conn>,
    ) -> Result<Paid<T>> {
        let no_check: CheckStep<(), S::Conn> = Box::new(|_| Box::pin(async { Ok(()) }));
        let first_row: CheckedRowStep<(), T, S::Conn> =
            Box::new(move |conn, entry, ()| first_row(conn, entry));
        self.pay_checked(req, no_check, first_row, earlier).await
    }

    /// [`Self::pay`], running `check` first in the same transaction, once
    /// the account's buckets are locked and before anything is charged or
    /// replayed: a check that fails refuses the payment with its error and
    /// nothing is written; what it read is handed to `first_row`. What it
    /// reads holds until the commit, as for the rest of the transaction (the
    /// buckets' lock serialises the account's payments on every instance).
    pub async fn pay_checked<K, T>(
        &self,
        req: SpendRequest,
        check: CheckStep<K, S::Conn>,
        first_row: CheckedRowStep<K, T, S::Conn>,
        earlier: RowStep<T, S::Conn>,
    ) -> Result<Paid<T>> {
        let now = self.clock.now();
        let key = EntryKind::Spend.key(&req.idempotency_key);
        let mut tx = self.store.begin_write().await?;
        let loaded = tx.load_for_change(&req.user_id, &key).await?;
        let checked = check(&mut tx).await?;
        let (usage, reset) =
            ops::apply_reset_if_due(&mut *tx, &req.user_id, loaded.usage, now).await?;
        if let Some(id) = loaded.used_by {
            let entry = tx.find_by_id(id).await?;
            ensure_same(&entry, &req.user_id, EntryKind::Spend, Some(req.action))?;
            ensure_same_request(
                &entry,
                loaded.used_fingerprint.as_deref(),
                req.fingerprint.as_ref(),
            )?;
            let value = earlier(&mut tx, &entry).await?;
            S::commit(tx).await?;
            if let Some(reset) = reset {
                self.announce(&reset, usage.credits_total);
            }
            return Ok(Paid {
                entry,
                value,
                replayed: true,
                balance: Balance::from_usage(&usage, now),
            });
        }
        let entry = ops::spend(&mut *tx, &usage, &req, &key, now).await?;
        let value = first_row(&mut tx, &entry, checked).await?;
        S::commit(tx).await?;
        // A spend leaves the period total as it was.
        self.announce(&entry, usage.credits_total);
        Ok(Paid {
            balance: Balance::from_usage(&usage.after(&entry), now),
            entry,
            value,
            replayed: false,
        })
    }

    /// Opens a write transaction for ending failed actions with a refund.
    pub async fn begin_refunds(&self) -> Result<Refunds<'_, S>> {
        Ok(Refunds {
            tx: self.store.begin_write().await?,
            ledger: self,
            made: Vec::new(),
            usage: None,
        })
    }
}

/// A write transaction in which failed actions are marked and refunded
/// together. Dropping it rolls everything back (nothing to announce);
/// [`Refunds::commit`] keeps it all and announces each refund.
pub struct Refunds<'l, S: LedgerStore = Db> {
    tx: S::Tx,
    ledger: &'l Ledger<S>,
    /// Refunds written (not replayed), with the period total after each.
    made: Vec<(LedgerEntry, i64)>,
    /// The buckets after the last refund, for the balance.
    usage: Option<Usage>,
}

impl<S: LedgerStore> Refunds<'_, S> {
    /// The transaction, for the action's own rows.
    pub fn conn(&mut self) -> &mut S::Conn {
        &mut self.tx
    }

    /// Refunds spend `spend_id` once; a second refund of it replays the first.
    pub async fn refund(&mut self, spend_id: i64) -> Result<Receipt> {
        let ledger = self.ledger;
        let now = ledger.clock.now();
        let key = EntryKind::Refund.key(&spend_id.to_string());
        let spend = self.tx.find_by_id(spend_id).await?;
        let loaded = self.tx.load_for_change(&spend.user_id, &key).await?;
        if let Some(id) = loaded.used_by {
            let entry = self.tx.find_by_id(id).await?;
            ensure_same(&entry, &spend.user_id, EntryKind::Refund, spend.action)?;
            return Ok(Receipt {
                entry,
                replayed: true,
            });
        }
        let (usage, _) =
            ops::apply_reset_if_due(&mut *self.tx, &spend.user_id, loaded.usage, now).await?;
        let entry = ops::refund(&mut *self.tx, &usage, &spend, &key, now).await?;
        self.made.push((entry.clone(), usage.credits_total));
        self.usage = Some(usage.after(&entry));
        Ok(Receipt {
            entry,
            replayed: false,
        })
    }

    /// Commits, then announces each refund made. Returns the balance after
    /// the last refund, when one was made.
    pub async fn commit(self) -> Result<Option<Balance>> {
        S::commit(self.tx).await?;
        for (entry, total) in &self.made {
            self.ledger.announce(entry, *total);
        }
        let now = self.ledger.clock.now();
        Ok(self.usage.map(|u| Balance::from_usage(&u, now)))
    }
}
