//! One deep-link purchase check at a time.
//!
//! A burst of return links (double clicks, a second app launch) should run
//! one check, so a check holds a busy flag while it runs. The flag is
//! cleared by [`LinkCheck`]'s guard when the check is dropped — when it
//! finishes, fails, returns early, panics or is cancelled — so a failed
//! reconcile can never leave every later link ignored.

use super::checkouts::CheckoutRows;
use super::service::{Billing, ReconcileReport};
use crate::db::Db;
use crate::error::Result;
use crate::ledger::rows::LedgerStore;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The busy flag shared by every clone of one [`Billing`].
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkCheckFlag(Arc<AtomicBool>);

impl LinkCheckFlag {
    /// Sets the flag; `None` if a check already holds it.
    fn claim(&self) -> Option<Claimed> {
        (!self.0.swap(true, Ordering::SeqCst)).then(|| Claimed(self.0.clone()))
    }

    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Clears the flag when dropped, however the check ended.
#[derive(Debug)]
struct Claimed(Arc<AtomicBool>);

impl Drop for Claimed {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The right to run the one deep-link check; see [`Billing::begin_link_check`].
#[derive(Debug)]
pub struct LinkCheck<S: LedgerStore = Db>
where
    S::Conn: CheckoutRows,
{
    billing: Billing<S>,
    _claimed: Claimed,
}

impl<S: LedgerStore> LinkCheck<S>
where
    S::Conn: CheckoutRows,
{
    pub(crate) fn begin(billing: &Billing<S>, flag: &LinkCheckFlag) -> Option<Self> {
        Some(Self {
            billing: billing.clone(),
            _claimed: flag.claim()?,
        })
    }

    /// Handles the link (see [`Billing::handle_deep_link`]); the flag is
    /// cleared when this returns, or if it is dropped part way.
    pub async fn run(self, raw: &str) -> Result<ReconcileReport> {
        self.billing.handle_deep_link(raw).await
    }
}
