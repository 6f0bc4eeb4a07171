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
    /// Deepest element nesting read, estimated before parsing; deeper is
    /// `page_too_complex`.
    pub max_nesting_depth: usize,
    /// Most elements read, estimated before parsing and counted again after
    /// it; more is `page_too_complex`.
    pub max_elements: usize,
    /// For extracting the text once the page is in; longer is
    /// `extraction_timeout`. The slowest page within the bounds above
    /// takes about 1.3 s in a release build (docs/benchmarks.md), so a
    /// scrape ends within `total_timeout` plus this.
    pub extract_timeout: Duration,
}

/// 5 MB.
pub const MAX_PAGE_BYTES: u64 = 5 * 1024 * 1024;

/// Chrome's parser stops nesting at 512 levels too; real pages stay under
/// 100. Extraction time grows with the square of the depth (2,000 nested
/// `<div>`s took 18 s in a debug build), so this bound is what keeps a
/// hostile page cheap. See docs/benchmarks.md.
pub const MAX_NESTING_DEPTH: usize = 512;

/// Large real articles have tens of thousands of elements; extraction of
/// 100,000 takes about a second in a release build.
pub const MAX_ELEMENTS: usize = 100_000;

impl Default for ScrapeLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_bytes: MAX_PAGE_BYTES,
            max_redirects: 5,
            max_nesting_depth: MAX_NESTING_DEPTH,
            max_elements: MAX_ELEMENTS,
            extract_timeout: Duration::from_secs(5),
        }
    }
}
