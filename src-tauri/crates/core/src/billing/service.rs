//! Buying credits and Pro: open a checkout, and reconcile — the only way
//! credits are granted. Reconcile asks Autumn what the customer has paid for
//! and fulfils each paid invoice exactly once (the ledger's idempotency key
//! is the Stripe invoice id). A deep link, start-up and a pending checkout
//! all just trigger a reconcile; none of them carries anything trusted.

use super::autumn::{AutumnClient, Customer, DEFAULT_BASE_URL};
use super::checkouts::{self, CheckoutRows, PendingCheckout};
use super::deep_link::{self, DeepLink, DeepLinkError};
use super::error::BillingError;
use super::link_check::{LinkCheck, LinkCheckFlag};
use super::products::Product;
use super::validate;
use super::webhook::VerifiedWebhook;
use super::webhook_event::webhook_customer;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::Result;
use crate::events::{DomainEvent, EventBus};
use crate::ledger::rows::LedgerStore;
use crate::ledger::Ledger;
use crate::providers::Secret;
use crate::secrets::{SecretName, SharedSecrets};
use crate::users::Profile;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

pub const ENV_SECRET_KEY: &str = "AUTUMN_SECRET_KEY";
pub const ENV_API_URL: &str = "AUTUMN_API_URL";
/// Where the checkout returns; a custom scheme by default, or an https page
/// that forwards to it (Stripe may refuse custom schemes).
pub const ENV_RETURN_URL: &str = "BANTER_PURCHASE_RETURN_URL";
pub const DEFAULT_RETURN_URL: &str = "banter://purchase/complete";
pub use super::validate::PRO_OFFLINE_GRACE;
/// Hosts a checkout page may be on (https only).
pub const CHECKOUT_HOSTS: [&str; 4] = [
    "checkout.stripe.com",
    "billing.stripe.com",
    "invoice.stripe.com",
    "checkout.useautumn.com",
];

/// How a deep link polls: Autumn may learn of a payment after the redirect.
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    pub every: Duration,
    pub for_at_most: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(2),
            for_at_most: Duration::from_secs(60),
        }
    }
}

/// An opened checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Checkout {
    /// The payment page, checked: https on a payment host (or the local mock).
    pub url: Option<String>,
    pub reference: String,
    pub product: Product,
}

/// One purchase fulfilled by a reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Fulfilled {
    pub invoice_id: String,
    pub product: Product,
    pub credits: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    /// Purchases fulfilled by this reconcile (none when all were already).
    pub fulfilled: Vec<Fulfilled>,
    pub pro_until: Option<DateTime<Utc>>,
    /// Checkouts still waiting for a payment to show up.
    pub pending: Vec<PendingCheckout>,
}

/// Purchases of one customer (the desktop's profile, or one account on the
/// server), on the store its ledger lives in.
#[derive(Debug, Clone)]
pub struct Billing<S: LedgerStore = Db>
where
    S::Conn: CheckoutRows,
{
    db: S,
    ledger: Ledger<S>,
    clock: SharedClock,
    events: EventBus,
    profile: Profile,
    secrets: SharedSecrets,
    client: Arc<RwLock<Option<AutumnClient>>>,
    /// Whether `client` was set up: the key is looked up on first use, not
    /// at every open (the CLI opens the core for every command, and a
    /// keyring lookup is a D-Bus round trip).
    resolved: Arc<AtomicBool>,
    poll: Arc<RwLock<PollPolicy>>,
    /// Set while a deep-link check runs (see [`LinkCheck`]).
    link_check: LinkCheckFlag,
}

impl<S: LedgerStore> Billing<S>
where
    S::Conn: CheckoutRows,
{
    /// Purchases for `profile`. The Autumn client comes from the keyring or
    /// the environment on first use ([`Self::connect_configured`]), or is
    /// given with [`Self::connect`] (the server, which holds the key).
    pub fn new(
        db: S,
        ledger: Ledger<S>,
        clock: SharedClock,
        events: EventBus,
        profile: Profile,
        secrets: SharedSecrets,
    ) -> Self {
        Self {
            db,
            ledger,
            clock,
            events,
            profile,
            secrets,
            client: Arc::default(),
            resolved: Arc::default(),
            poll: Arc::default(),
            link_check: LinkCheckFlag::default(),
        }
    }

    /// Autumn from `AUTUMN_API_URL` (default the real API) with the key from
    /// the keyring, else `AUTUMN_SECRET_KEY`. Without a key, purchases are
    /// off and say so.
    pub fn connect_configured(&self) {
        let key = match self.secrets.get(SecretName::AutumnKey) {
            Ok(Some(key)) => Some(key),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "keyring unavailable for the Autumn key");
                None
            }
        }
        .or_else(|| {
            std::env::var(ENV_SECRET_KEY)
                .ok()
                .filter(|k| !k.trim().is_empty())
                .map(|k| Secret::new(k.trim()))
        });
        let base = std::env::var(ENV_API_URL).unwrap_or_else(|_| DEFAULT_BASE_URL.into());
        match key {
            Some(key) => {
                if let Err(error) = self.connect(&base, key) {
                    tracing::warn!(code = %error.code(), "Autumn client not set up");
                    self.set_client(None);
                }
            }
            None => self.set_client(None),
        }
    }

    /// Uses the Autumn API at `base_url` with `key`.
    pub fn connect(&self, base_url: &str, key: Secret) -> Result<(), BillingError> {
        let client = AutumnClient::new(base_url, key)?;
        self.set_client(Some(client));
        Ok(())
    }

    /// Uses an Autumn client made elsewhere (the server makes one for all
    /// its accounts).
    pub fn connect_client(&self, client: AutumnClient) {
        self.set_client(Some(client));
    }

    fn set_client(&self, client: Option<AutumnClient>) {
        *self.client.write().unwrap_or_else(PoisonError::into_inner) = client;
        self.resolved.store(true, Ordering::SeqCst);
    }

    /// The configured client, looked up the first time it is needed.
    fn current_client(&self) -> Option<AutumnClient> {
        if !self.resolved.load(Ordering::SeqCst) {
            self.connect_configured();
        }
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether an Autumn key is set (purchases are possible).
    pub fn is_configured(&self) -> bool {
        self.current_client().is_some()
    }

    /// Changes how deep links poll (tests shorten it).
    pub fn set_poll_policy(&self, policy: PollPolicy) {
        *self.poll.write().unwrap_or_else(PoisonError::into_inner) = policy;
    }

    fn client(&self) -> Result<AutumnClient, BillingError> {
        self.current_client().ok_or_else(|| {
            BillingError::NotConfigured(format!(
                "set {ENV_SECRET_KEY} (and {ENV_API_URL} for a test server)"
            ))
        })
    }

    /// Our customer at Autumn, created if new, with its invoices. An answer
    /// about any other customer is refused: nothing may be granted from it.
    async fn customer(&self, client: &AutumnClient) -> Result<Customer, BillingError> {
        let created = client
            .get_or_create_customer(
                &self.profile.id,
                &self.profile.display_name,
                self.profile.email.as_deref(),
            )
            .await?;
        self.check_customer(&created)?;
        let customer = client.customer(&self.profile.id).await?;
        self.check_customer(&customer)?;
        Ok(customer)
    }

    fn check_customer(&self, customer: &Customer) -> Result<(), BillingError> {
        if customer.id.as_deref() == Some(self.profile.id.as_str()) {
            return Ok(());
        }
        // The id Autumn sent is not logged: it is not ours to show.
        tracing::warn!("Autumn answered for a different customer; reconcile refused");
        Err(BillingError::CustomerMismatch)
    }

    /// Opens a checkout for `product` and remembers it as pending. The
    /// returned URL has been checked and may be opened in the browser.
    pub async fn checkout(&self, product: Product) -> Result<Checkout> {
        let client = self.client()?;
        self.customer(&client).await?;
        let reference = format!("ck_{}", uuid::Uuid::new_v4().simple());
        let return_url =
            std::env::var(ENV_RETURN_URL).unwrap_or_else(|_| DEFAULT_RETURN_URL.into());
        let success_url = with_reference(&return_url, &reference);
        let url = client
            .checkout(&self.profile.id, product.id(), &success_url)
            .await?;
        if let Some(url) = &url {
            check_checkout_url(url, client.base_url())?;
        }
        checkouts::open(
            &self.db,
            &self.profile.id,
            &reference,
            product.id(),
            self.clock.now(),
        )
        .await?;
        Ok(Checkout {
            url,
            reference,
            product,
        })
    }

    /// Checkouts still waiting for their payment.
    pub async fn pending(&self) -> Result<Vec<PendingCheckout>> {
        checkouts::pending(&self.db, &self.profile.id, self.clock.now()).await
    }

    /// Asks Autumn what was paid and fulfils what is not yet fulfilled.
    pub async fn reconcile(&self) -> Result<ReconcileReport> {
        let client = self.client()?;
        let customer = self.customer(&client).await?;
        let now = self.clock.now();
        let mut fulfilled = Vec::new();
        for (index, invoice) in customer.invoices.iter().enumerate() {
            let Some(paid) = validate::paid_invoice(index, invoice) else {
                continue;
            };
            for product in paid.products {
                let Some(credits) = product.credits() else {
                    continue; // Pro: see below.
                };
                let invoice_id = paid.stripe_id;
                let key = format!("autumn:{invoice_id}:{}", product.id());
                let receipt = self
                    .ledger
                    .credit_purchase(&self.profile.id, credits, &key, Some(invoice_id))
                    .await?;
                if !receipt.replayed {
                    checkouts::fulfil(
                        &self.db,
                        &self.profile.id,
                        product.id(),
                        Some(invoice_id),
                        now,
                    )
                    .await?;
                    tracing::info!(invoice = %invoice_id, credits, "purchase fulfilled");
                    self.events.emit(DomainEvent::PurchaseFulfilled {
                        product: product.id().to_string(),
                        credits: Some(credits),
                    });
                    fulfilled.push(Fulfilled {
                        invoice_id: invoice_id.to_string(),
                        product,
                        credits,
                    });
                }
            }
        }
        let pro_until = self.sync_pro(&customer, now).await?;
        Ok(ReconcileReport {
            fulfilled,
            pro_until,
            pending: self.pending().await?,
        })
    }

    /// Reconciles the customer a verified webhook names — the webhook
    /// itself grants nothing (see [`super::webhook_event`]). This core
    /// holds one profile: a webhook that names nobody, or someone else,
    /// changes nothing and answers `None`.
    pub async fn reconcile_webhook(
        &self,
        webhook: &VerifiedWebhook,
    ) -> Result<Option<ReconcileReport>> {
        let event = webhook.event.event_type();
        match webhook_customer(webhook) {
            Some(customer) if customer.as_str() == self.profile.id => {
                tracing::info!(event, "webhook: reconciling");
                self.reconcile().await.map(Some)
            }
            // The id is not logged: it is not ours to show.
            Some(_) => {
                tracing::warn!(event, "webhook about another customer; ignored");
                Ok(None)
            }
            None => {
                tracing::debug!(event, "webhook names no customer; acknowledged");
                Ok(None)
            }
        }
    }

    /// Pro while Autumn lists it active; cached until the paid period ends
    /// plus a grace period, so a day offline does not cost the user Pro
    /// (see [`validate::pro_until`]).
    async fn sync_pro(
        &self,
        customer: &Customer,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let until = validate::pro_until(&customer.products, now);
        let was = self.ledger.balance(&self.profile.id).await?.pro;
        self.ledger.set_pro_until(&self.profile.id, until).await?;
        if until.is_some() && !was {
            checkouts::fulfil(&self.db, &self.profile.id, Product::Pro.id(), None, now).await?;
            self.events.emit(DomainEvent::PurchaseFulfilled {
                product: Product::Pro.id().to_string(),
                credits: None,
            });
        }
        Ok(until)
    }

    /// Claims the one deep-link check that may run at a time; `None` while
    /// another runs. The claim ends when the returned check is dropped.
    pub fn begin_link_check(&self) -> Option<LinkCheck<S>> {
        LinkCheck::begin(self, &self.link_check)
    }

    /// Whether a deep-link check is running now.
    pub fn link_check_running(&self) -> bool {
        self.link_check.is_set()
    }

    /// A `banter://` link arrived. Anything but a known link is refused and
    /// changes nothing; `purchase/complete` reconciles, polling while a
    /// checkout is pending and nothing new has shown up.
    pub async fn handle_deep_link(&self, raw: &str) -> Result<ReconcileReport> {
        let link = deep_link::parse(raw).map_err(BillingError::from)?;
        match link {
            DeepLink::PurchaseCancelled { reference } => {
                if let Some(reference) = reference {
                    checkouts::cancel(&self.db, &self.profile.id, &reference, self.clock.now())
                        .await?;
                }
                self.reconcile().await
            }
            DeepLink::PurchaseComplete { .. } => self.reconcile_until_settled().await,
            DeepLink::AuthCallback(_) => {
                Err(BillingError::from(DeepLinkError::NotAPurchase).into())
            }
        }
    }

    async fn reconcile_until_settled(&self) -> Result<ReconcileReport> {
        let policy = *self.poll.read().unwrap_or_else(PoisonError::into_inner);
        let started = tokio::time::Instant::now();
        loop {
            let outcome = self.reconcile().await;
            let out_of_time = started.elapsed() + policy.every > policy.for_at_most;
            match outcome {
                Ok(report) if !report.fulfilled.is_empty() || report.pending.is_empty() => {
                    return Ok(report)
                }
                Ok(report) if out_of_time => return Ok(report),
                Err(crate::Error::Billing(e)) if e.is_transient() && !out_of_time => {
                    tracing::info!(code = %e.code(), "Autumn not reachable yet; polling");
                }
                Err(error) => return Err(error),
                Ok(_) => {}
            }
            tokio::time::sleep(policy.every).await;
        }
    }
}

/// `url` with `ref=<reference>` added.
fn with_reference(url: &str, reference: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}ref={reference}")
}

/// Only https pages of the payment provider — or, when Autumn itself is a
/// local test server, that server's own pages.
fn check_checkout_url(url: &str, autumn_base: &str) -> Result<(), BillingError> {
    let refuse = || BillingError::UnsafeCheckoutUrl(url.chars().take(200).collect());
    let parsed = reqwest::Url::parse(url).map_err(|_| refuse())?;
    let host = parsed.host_str().unwrap_or_default();
    if parsed.scheme() == "https"
        && CHECKOUT_HOSTS.contains(&host)
        && parsed.username().is_empty()
        && parsed.password().is_none()
    {
        return Ok(());
    }
    let base = reqwest::Url::parse(autumn_base).map_err(|_| refuse())?;
    let local = base.host_str().is_some_and(|h| {
        h == "localhost"
            || h.trim_matches(|c| c == '[' || c == ']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    if local && parsed.origin() == base.origin() {
        return Ok(());
    }
    Err(refuse())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_payment_pages_are_opened() {
        let real = "https://api.useautumn.com";
        assert!(check_checkout_url("https://checkout.stripe.com/c/pay/cs_test_1", real).is_ok());
        assert!(check_checkout_url("https://checkout.useautumn.com/x", real).is_ok());
        for bad in [
            "http://checkout.stripe.com/c/pay",
            "https://checkout.stripe.com.evil.example/pay",
            "https://evil.example/?checkout.stripe.com",
            "https://user@checkout.stripe.com/pay",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://127.0.0.1:9/pay/co_1",
        ] {
            assert!(check_checkout_url(bad, real).is_err(), "{bad}");
        }
        let mock = "http://127.0.0.1:4100";
        assert!(check_checkout_url("http://127.0.0.1:4100/pay/co_1", mock).is_ok());
        assert!(check_checkout_url("http://127.0.0.1:4101/pay/co_1", mock).is_err());
    }

    #[test]
    fn the_reference_rides_on_the_return_url() {
        assert_eq!(
            with_reference("banter://purchase/complete", "ck_1"),
            "banter://purchase/complete?ref=ck_1"
        );
        assert_eq!(
            with_reference("https://example.com/return?app=banter", "ck_1"),
            "https://example.com/return?app=banter&ref=ck_1"
        );
    }
}
