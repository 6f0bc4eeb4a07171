//! Why a scrape failed, as the UI tells it apart. Every failure after the
//! charge is refunded; `bad_url` is found before any charge.

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
}

impl ScrapeError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUrl { .. } => "bad_url",
            Self::NotFound { .. } => "not_found",
            Self::HttpError { .. } => "http_error",
            Self::Timeout => "timeout",
            Self::TooLarge { .. } => "too_large",
            Self::NotAWebPage { .. } => "not_a_web_page",
            Self::TooManyRedirects { .. } => "too_many_redirects",
            Self::Network(_) => "network",
            Self::EmptyPage => "empty_page",
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
            | Self::EmptyPage => true,
            Self::HttpError { status } => (400..500).contains(status),
            Self::Timeout | Self::Network(_) => false,
        }
    }
}
