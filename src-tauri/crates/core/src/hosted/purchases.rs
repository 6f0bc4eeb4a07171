//! The purchase return link in hosted mode: `banter://purchase/complete`
//! (or `/cancel`) only makes the client ask the server to reconcile — the
//! server holds the Autumn key and grants from paid invoices only. As in
//! local mode the link is parsed strictly and read for nothing else, and
//! the client asks again for a while (the core's [`PollPolicy`]), since
//! Autumn may learn of a payment after the browser came back.

use super::client::HostedClient;
use crate::billing::deep_link::{self, DeepLink, DeepLinkError};
use crate::billing::{BillingError, PollPolicy, ReconcileReport};
use crate::error::Result;

impl HostedClient {
    /// Handles a `banter://purchase/…` link as the app does in hosted mode.
    pub async fn handle_purchase_link(&self, raw: &str) -> Result<ReconcileReport> {
        match deep_link::parse(raw).map_err(BillingError::from)? {
            DeepLink::PurchaseComplete { .. } => {
                self.refresh_until_settled(PollPolicy::default()).await
            }
            // The server keeps no client-side checkout to cancel; it ends
            // its own pending ones when they expire.
            DeepLink::PurchaseCancelled { .. } => Ok(self.refresh_purchases().await?),
            DeepLink::AuthCallback(_) => {
                Err(BillingError::from(DeepLinkError::NotAPurchase).into())
            }
        }
    }

    /// Asks the server to reconcile until something was granted, nothing
    /// is pending, or `policy` runs out.
    async fn refresh_until_settled(&self, policy: PollPolicy) -> Result<ReconcileReport> {
        let started = tokio::time::Instant::now();
        loop {
            let report = self.refresh_purchases().await?;
            let settled = !report.fulfilled.is_empty() || report.pending.is_empty();
            if settled || started.elapsed() + policy.every > policy.for_at_most {
                return Ok(report);
            }
            tokio::time::sleep(policy.every).await;
        }
    }
}
