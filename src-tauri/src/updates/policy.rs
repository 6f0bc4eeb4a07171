//! Which update addresses Banter talks to, and the typed refusals.
//!
//! The manifest and the artifact are each fetched only over https, or over
//! plain http to this computer (a loopback address: 127.0.0.0/8 or ::1,
//! for a local test server). The plugin's own https check is turned off in
//! `tauri.conf.json` (`dangerousInsecureTransportProtocol`) because it
//! cannot tell loopback from the internet; this rule replaces it, for the
//! artifact's address too, which the plugin would only warn about.

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
}

impl UpdateError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "update_not_configured",
            Self::BadUrl(_) => "update_bad_url",
            Self::InsecureUrl { .. } => "update_insecure_url",
            Self::BadSignature { .. } => "update_bad_signature",
            Self::Unavailable(_) => "update_unavailable",
        }
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
