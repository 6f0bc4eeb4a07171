//! Purchases: Autumn checkout, the `banter://` return link, reconciling what
//! Autumn says was paid with the ledger, the Pro plan, and verifying
//! Autumn's (Svix-signed) webhooks, which only ever trigger a reconcile.

pub mod autumn;
pub mod checkouts;
pub mod deep_link;
pub mod error;
pub mod link_check;
pub mod products;
pub mod service;
pub mod validate;
pub mod webhook;
pub mod webhook_error;
pub mod webhook_event;

pub use error::BillingError;
pub use link_check::LinkCheck;
pub use products::{Product, ProductInfo};
pub use service::{Billing, Checkout, Fulfilled, PollPolicy, ReconcileReport};
pub use webhook::{SignedDelivery, VerifiedWebhook, WebhookSecret, WebhookVerifier};
pub use webhook_error::WebhookError;
pub use webhook_event::{webhook_customer, CustomerId, WebhookEvent};
