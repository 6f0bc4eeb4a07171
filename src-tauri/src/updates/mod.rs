//! Signed updates, through tauri-plugin-updater.
//!
//! The app asks one manifest address (`BANTER_UPDATE_URL`, else the first of
//! `plugins.updater.endpoints` in `tauri.conf.json`) whether a newer
//! version exists, and downloads its artifact only to verify it against
//! the public key built into the app (`plugins.updater.pubkey`, minisign,
//! with the version bound into the signature: `requireSignedVersion`).
//! What is refused, and why, is typed ([`UpdateError`]); the addresses
//! allowed are in `policy.rs`. An install waits until no reply streams and
//! no checkout is pending (`guard.rs`, gathered by `blockers.rs`), then the
//! app restarts into the new version (`commands/updates.rs`).

mod blockers;
mod checker;
mod guard;
mod policy;
#[cfg(test)]
mod tests;

pub use blockers::{current as current_blockers, ServerReplies};
pub use checker::{
    configured_endpoint, download_verified, install_verified, CheckOutcome, UpdateChecker,
    UpdateOffer,
};
pub use guard::{may_install, InstallBlockers};
pub use policy::UpdateError;
