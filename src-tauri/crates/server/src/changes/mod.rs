//! The change feed: every change to an account's chat sessions, messages,
//! projects, tasks, saved pages and ledger entries has a position in that
//! account's feed. The database keeps it (triggers in
//! `migrations/postgres/0006_change_feed.sql`, which also say why a reader
//! can never miss a change and why no deadlock comes of it), so no code
//! path can forget a change.
//!
//! Devices pull what came after their cursor ([`feed`]) and, while online,
//! stay subscribed to be told when there is more ([`hub`] in memory, woken
//! through Postgres by the instance's listener, `crate::listener`, after an
//! instance announced the account, [`wakes`]).

pub mod feed;
pub mod hub;
mod records;
pub mod wakes;

pub use feed::{Change, ChangeKind, ChangeOp, ChangePage, Record};
pub use hub::{ChangeHub, Subscription};

/// The channel accounts whose records changed are announced on ([`wakes`]),
/// with the payload `<position>:<user id>`: the first position of the last
/// transaction that changed them (the feed is past it; a pull after the
/// client's cursor gets the whole transaction). Never any content.
pub const CHANNEL: &str = "account_changes";
