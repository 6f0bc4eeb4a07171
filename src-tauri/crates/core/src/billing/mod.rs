//! Purchases: Autumn checkout, the `banter://` return link, reconciling what
//! Autumn says was paid with the ledger, and the Pro plan.

pub mod autumn;
pub mod checkouts;
pub mod deep_link;
pub mod error;
pub mod link_check;
pub mod products;
pub mod service;
pub mod validate;

pub use error::BillingError;
pub use link_check::LinkCheck;
pub use products::{Product, ProductInfo};
pub use service::{Billing, Checkout, Fulfilled, PollPolicy, ReconcileReport};
