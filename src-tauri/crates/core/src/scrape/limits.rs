//! How long and how much a scrape may take.

use std::time::Duration;

/// Limits of one fetch. The defaults are the product's; tests shrink them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrapeLimits {
    /// Until the TCP (and TLS) connection is up.
    pub connect_timeout: Duration,
    /// For the whole fetch: redirects, headers and body.
    pub total_timeout: Duration,
    /// Most body bytes read; a larger page is `too_large`.
    pub max_bytes: u64,
    /// Most redirects followed; one more is `too_many_redirects`.
    pub max_redirects: usize,
}

/// 5 MB.
pub const MAX_PAGE_BYTES: u64 = 5 * 1024 * 1024;

impl Default for ScrapeLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_bytes: MAX_PAGE_BYTES,
            max_redirects: 5,
        }
    }
}
