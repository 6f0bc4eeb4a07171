//! Why a scrape failed, as the UI tells it apart. Every failure after the
//! charge is refunded; a typed `bad_url` is found before any charge (a
//! redirect to a bad address is found after it, and refunded).

use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScrapeError {
    #[error("{url:?} cannot be scraped: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("the page was not found (HTTP {status})")]
    NotFound { status: u16 },
    #[error("the site answered HTTP {status}")]
    HttpError { status: u16 },
    #[error("the site did not answer in time")]
    Timeout,
    #[error("the page is larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("this is not a web page ({content_type}); only HTML and plain text can be scraped")]
    NotAWebPage { content_type: String },
    #[error("the page redirected more than {max} times")]
    TooManyRedirects { max: usize },
    #[error("could not reach the site: {0}")]
    Network(String),
    #[error("no readable text was found on the page")]
    EmptyPage,
    /// A page on a public address redirected into this machine or a
    /// private network (see `scrape::network`).
    #[error(
        "the page redirected to {url:?}, a {scope} address; a public page may not send Banter into your machine or network"
    )]
    RedirectToPrivate { url: String, scope: &'static str },
    /// Under the hosted policy: the typed address, or an address its name
    /// resolves to, is not on the public internet (see `scrape::network`).
    #[error(
        "{url:?} leads to a {scope} address; only pages on the public internet can be scraped here"
    )]
    PrivateAddress { url: String, scope: &'static str },
    /// Found before parsing, by `scrape::structure`.
    #[error("the page is too complex to read: {reason}")]
    PageTooComplex { reason: String },
    /// Reading the text took longer than `ScrapeLimits::extract_timeout`.
    #[error("reading the page's text took longer than {seconds} seconds")]
    ExtractionTimeout { seconds: u64 },
}

impl ScrapeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadUrl { .. } => ErrorCode::BadUrl,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::HttpError { .. } => ErrorCode::HttpError,
            Self::Timeout => ErrorCode::Timeout,
            Self::TooLarge { .. } => ErrorCode::TooLarge,
            Self::NotAWebPage { .. } => ErrorCode::NotAWebPage,
            Self::TooManyRedirects { .. } => ErrorCode::TooManyRedirects,
            Self::Network(_) => ErrorCode::Network,
            Self::EmptyPage => ErrorCode::EmptyPage,
            Self::RedirectToPrivate { .. } => ErrorCode::RedirectToPrivateAddress,
            Self::PrivateAddress { .. } => ErrorCode::PrivateAddress,
            Self::PageTooComplex { .. } => ErrorCode::PageTooComplex,
            Self::ExtractionTimeout { .. } => ErrorCode::ExtractionTimeout,
        }
    }

    /// The user can fix it by choosing another address; a timeout, a network
    /// failure or a server error is the site's or the machine's.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::BadUrl { .. }
            | Self::NotFound { .. }
            | Self::TooLarge { .. }
            | Self::NotAWebPage { .. }
            | Self::TooManyRedirects { .. }
            | Self::EmptyPage
            | Self::RedirectToPrivate { .. }
            | Self::PrivateAddress { .. }
            | Self::PageTooComplex { .. }
            | Self::ExtractionTimeout { .. } => true,
            Self::HttpError { status } => (400..500).contains(status),
            Self::Timeout | Self::Network(_) => false,
        }
    }
}
