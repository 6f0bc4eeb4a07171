//! Purchases: Autumn checkout, the `banter://` return link, reconciling what
//! Autumn says was paid with the ledger, and the Pro plan.

pub mod deep_link;
