//! Hosted mode's client: this device signed in to an operator's
//! `banter-server`, which holds the ledger, the history and the keys.
//!
//! One concern per file:
//! - [`accounts`]: which server the profile is signed in to, as whom (in
//!   settings, never a token), and the door to the signed-in client;
//! - [`sign_in`]: signing in through a loopback redirect (the CLI), and
//!   [`app_sign_in`] through the `banter://auth/callback` deep link (the app);
//! - [`tokens`]: the device's tokens in the OS keyring;
//! - [`client`]: calls with the access token, one transparent refresh,
//!   and forgetting a device the server signed out;
//! - [`api`]: the typed calls (account, devices, credits, ledger,
//!   sessions, purchases, sign-out); [`projects`]: projects, tasks and
//!   saved pages; [`paid_jobs`]: generation and saving a page through the
//!   server; [`chat`]: sending through the server and its streamed reply;
//! - [`history`]: the account's conversations, kept in this computer's
//!   copy ([`replica`]) and read from it offline;
//! - [`changes`]: the account's change feed on the server; [`sync`] pulls
//!   it into the copy ([`replica_sync`]); [`follow`] keeps pulling while
//!   the app runs; [`outbox`]: edits made offline, sent when online;
//! - [`import`]: this computer's local-mode history imported into the
//!   account, once ([`import_local`] its local side, [`import_wire`] the
//!   batches on the wire);
//! - [`http`]: the server's origin, no redirects, timeouts, typed errors
//!   ([`error`]).

mod account_projects;
mod accounts;
mod api;
mod app_sign_in;
mod changes;
mod chat;
mod client;
mod error;
mod follow;
mod history;
mod http;
mod import;
mod import_local;
pub mod import_wire;
mod ledger;
mod outbox;
mod outbox_projects;
mod paid_jobs;
mod projects;
mod purchases;
mod reachability;
mod replica;
mod replica_sync;
mod sign_in;
mod sync;
mod tokens;
mod types;

pub use account_projects::HostedProjects;
pub use accounts::{HostedAccount, HostedAccounts};
pub use app_sign_in::{APP_REDIRECT_URI, APP_SIGN_IN_LIFETIME};
pub use changes::{Change, ChangeOp, ChangePage, CHANGES_PAGE};
pub use chat::{HostedSend, RECOVER_POLL_EVERY};
pub(crate) use client::refresh_lock_path;
pub use client::HostedClient;
pub use error::HostedError;
pub use follow::{MAX_PAUSE, RECHECK_EVERY};
pub use history::HostedHistory;
pub use http::{CONNECT_TIMEOUT, REQUEST_TIMEOUT, STREAM_IDLE_TIMEOUT};
pub use import::{
    HistoryImport, ImportCounts, ImportProgress, ImportReport, ImportStatus, RemovedLocal,
};
pub use outbox::Pushed;
pub use replica::AtSignOut;
pub use replica::{Replica, ACCOUNTS_DIR};
pub use replica_sync::Pulled;
pub use sign_in::{PendingSignIn, SignedIn};
pub use sync::CATCH_UP_WITHIN;
pub use tokens::DeviceTokens;
pub use types::{Account, Device};

/// How a device appears in the account's device list: `client` (the app or
/// the CLI) and the computer's name, where the OS tells it.
pub fn device_name(client: &str) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    match host {
        Some(host) => format!("{client} on {host}"),
        None => client.to_string(),
    }
}
