//! Signed updates, through tauri-plugin-updater.
//!
//! The app asks one manifest address (`BANTER_UPDATE_URL`, else the first of
//! `plugins.updater.endpoints` in `tauri.conf.json`) whether a newer
//! version exists, and downloads its artifact only to verify it against
//! the public key built into the app (`plugins.updater.pubkey`, minisign,
//! with the version bound into the signature: `requireSignedVersion`).
//! What is refused, and why, is typed ([`UpdateError`]); the addresses
//! allowed are in `policy.rs`.

mod checker;
mod policy;
#[cfg(test)]
mod tests;

pub use checker::{
    download_verified, manifest_address, CheckOutcome, Offer, UpdateChecker, UPDATE_URL_ENV,
};
pub use policy::UpdateError;
