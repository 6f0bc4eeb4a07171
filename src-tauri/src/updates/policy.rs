//! Which update addresses Banter talks to, and the typed refusals.
//!
//! The manifest and the artifact are each fetched only over https, or over
//! plain http to this computer (a loopback address: 127.0.0.0/8 or ::1,
//! for a local test server). The plugin's own https check is turned off in
//! `tauri.conf.json` (`dangerousInsecureTransportProtocol`) because it
//! cannot tell loopback from the internet; this rule replaces it, for the
//! artifact's address too, which the plugin would only warn about.

use banter_core::{ApiError, ErrorCode};
use std::net::IpAddr;
use tauri::Url;

/// Why an update was not offered or not accepted. Each has a stable
/// [`code`](UpdateError::code) for the UI.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(
        "no update address is configured (set BANTER_UPDATE_URL or plugins.updater.endpoints)"
    )]
    NotConfigured,
    #[error("the update address {0:?} is not a valid http(s) URL")]
    BadUrl(String),
    #[error(
        "refusing to fetch updates over plain http from {host}: updates come over https \
         (plain http only from this computer, 127.0.0.1 or ::1)"
    )]
    InsecureUrl { host: String },
    #[error(
        "the update's signature does not match Banter's update key, so it was discarded \
         ({reason})"
    )]
    BadSignature { reason: String },
    #[error("the update server could not be reached or gave no usable answer: {0}")]
    Unavailable(String),
    #[error("Banter {asked} is no longer what the update server offers; check for updates again")]
    NotOffered { asked: String },
    #[error("the update could not be installed, so this version keeps running: {0}")]
    InstallFailed(String),
    #[error(
        "a reply is still streaming ({count} in all): let it finish or stop it, then install \
         the update"
    )]
    ReplyStreaming { count: usize },
    #[error(
        "a checkout is still waiting for its payment ({count} in all): finish paying, or wait \
         until it expires, then install the update"
    )]
    CheckoutPending { count: usize },
}

impl UpdateError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotConfigured => ErrorCode::UpdateNotConfigured,
            Self::BadUrl(_) => ErrorCode::UpdateBadUrl,
            Self::InsecureUrl { .. } => ErrorCode::UpdateInsecureUrl,
            Self::BadSignature { .. } => ErrorCode::UpdateBadSignature,
            Self::Unavailable(_) => ErrorCode::UpdateUnavailable,
            Self::NotOffered { .. } => ErrorCode::UpdateNotOffered,
            Self::InstallFailed(_) => ErrorCode::UpdateInstallFailed,
            Self::ReplyStreaming { .. } => ErrorCode::UpdateReplyStreaming,
            Self::CheckoutPending { .. } => ErrorCode::UpdateCheckoutPending,
        }
    }
}

impl From<UpdateError> for ApiError {
    fn from(error: UpdateError) -> Self {
        ApiError::new(error.code(), error.to_string())
    }
}

/// Parses an update address and applies the transport rule above.
pub fn checked_url(raw: &str) -> Result<Url, UpdateError> {
    let url = Url::parse(raw.trim()).map_err(|_| UpdateError::BadUrl(raw.to_string()))?;
    allowed(url)
}

/// The transport rule for an address already parsed (the artifact's).
pub fn allowed(url: Url) -> Result<Url, UpdateError> {
    match url.scheme() {
        "https" if url.host_str().is_some() => Ok(url),
        "http" => {
            let host = url.host_str().unwrap_or_default().to_string();
            if is_loopback(&host) {
                Ok(url)
            } else {
                Err(UpdateError::InsecureUrl { host })
            }
        }
        _ => Err(UpdateError::BadUrl(url.to_string())),
    }
}

/// A literal loopback address; a name (even `localhost`) is not, since it
/// is whatever the resolver says.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
