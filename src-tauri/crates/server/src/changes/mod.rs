//! The change feed: every change to an account's chat sessions, messages,
//! projects, tasks, saved pages and ledger entries has a position in that
//! account's feed. The database keeps it (triggers in
//! `migrations/postgres/0006_change_feed.sql`, which also say why a reader
//! can never miss a change and why no deadlock comes of it), so no code
//! path can forget a change.
//!
//! Devices pull what came after their cursor ([`feed`]) and, while online,
//! stay subscribed to be told when there is more ([`hub`] in memory, woken
//! through Postgres by the instance's listener, `crate::listener`).

pub mod feed;
pub mod hub;
mod records;

pub use feed::{Change, ChangeKind, ChangeOp, ChangePage, Record};
pub use hub::{ChangeHub, Subscription};

/// The channel every commit that changed an account's records notifies,
/// with the payload `<position>:<user id>` (the account's position after
/// the change; never any content).
pub const CHANNEL: &str = "account_changes";
