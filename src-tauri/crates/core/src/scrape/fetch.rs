//! Fetching a page within limits: http(s) only (redirects too), a connect
//! and a total timeout, at most `max_redirects` redirects, at most
//! `max_bytes` of body (streamed, stopping early, and refused up front when
//! Content-Length says so), and only HTML, XHTML or plain text.

use super::charset;
use super::url::is_web_scheme;
use super::{ScrapeError, ScrapeLimits};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::redirect::Policy;
use reqwest::{StatusCode, Url};

/// What kind of document a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Html,
    Text,
}

/// A fetched page, decoded to text.
#[derive(Debug, Clone)]
pub struct Page {
    /// The address after redirects.
    pub url: Url,
    pub kind: PageKind,
    pub text: String,
}

/// Marks a redirect-policy refusal in reqwest's error chain.
#[derive(Debug)]
enum RedirectRefused {
    TooMany,
    NotWeb,
}

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooMany => f.write_str("too many redirects"),
            Self::NotWeb => f.write_str("redirected to an address that is not http or https"),
        }
    }
}

impl std::error::Error for RedirectRefused {}

/// An HTTP client for scraping with `limits`.
pub fn client(limits: &ScrapeLimits) -> Result<reqwest::Client, ScrapeError> {
    let max = limits.max_redirects;
    let policy = Policy::custom(move |attempt| {
        if !is_web_scheme(attempt.url().scheme()) {
            attempt.error(RedirectRefused::NotWeb)
        } else if attempt.previous().len() > max {
            attempt.error(RedirectRefused::TooMany)
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .connect_timeout(limits.connect_timeout)
        .timeout(limits.total_timeout)
        .redirect(policy)
        .user_agent(concat!(
            "Banter/",
            env!("CARGO_PKG_VERSION"),
            " (page import)"
        ))
        .build()
        .map_err(|e| ScrapeError::Network(format!("cannot set up HTTP: {e}")))
}

/// Fetches `url` within `limits`.
pub async fn fetch(
    client: &reqwest::Client,
    url: Url,
    limits: &ScrapeLimits,
) -> Result<Page, ScrapeError> {
    // reqwest's own timeout covers the body too; this one also bounds our
    // reading loop, whatever the server does.
    tokio::time::timeout(limits.total_timeout, fetch_inner(client, url, limits))
        .await
        .map_err(|_| ScrapeError::Timeout)?
}

async fn fetch_inner(
    client: &reqwest::Client,
    url: Url,
    limits: &ScrapeLimits,
) -> Result<Page, ScrapeError> {
    let mut response = client
        .get(url)
        .header(
            ACCEPT,
            "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
        )
        .send()
        .await
        .map_err(|e| classify(&e, limits))?;
    let status = response.status();
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        return Err(ScrapeError::NotFound {
            status: status.as_u16(),
        });
    }
    if status.is_redirection() {
        // reqwest does not follow a redirect to another scheme (file:,
        // ftp:, …); it hands back the redirect itself.
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if Url::parse(location).is_ok_and(|u| !is_web_scheme(u.scheme())) {
            return Err(ScrapeError::BadUrl {
                url: location.chars().take(200).collect(),
                reason: RedirectRefused::NotWeb.to_string(),
            });
        }
    }
    if !status.is_success() {
        return Err(ScrapeError::HttpError {
            status: status.as_u16(),
        });
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let declared = match content_type.as_deref() {
        Some(ct) => Some(kind_of(ct)?),
        None => None,
    };
    let too_large = ScrapeError::TooLarge {
        limit_bytes: limits.max_bytes,
    };
    if response
        .content_length()
        .is_some_and(|n| n > limits.max_bytes)
    {
        return Err(too_large);
    }
    let final_url = response.url().clone();
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, limits))? {
        if (body.len() + chunk.len()) as u64 > limits.max_bytes {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    let kind = match declared {
        Some(kind) => kind,
        None => sniff_kind(&body)?,
    };
    let header_charset = content_type.as_deref().and_then(charset::charset_param);
    let text = charset::decode(&body, header_charset.as_deref(), kind == PageKind::Html);
    Ok(Page {
        url: final_url,
        kind,
        text,
    })
}

/// HTML, XHTML or plain text by the Content-Type's media type.
fn kind_of(content_type: &str) -> Result<PageKind, ScrapeError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/html" | "application/xhtml+xml" => Ok(PageKind::Html),
        "text/plain" => Ok(PageKind::Text),
        _ => Err(ScrapeError::NotAWebPage {
            content_type: essence.chars().take(100).collect(),
        }),
    }
}

/// A response without a Content-Type counts as a web page only if it
/// plainly starts like HTML.
fn sniff_kind(body: &[u8]) -> Result<PageKind, ScrapeError> {
    let head: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    if head.starts_with(b"<!doctype html") || head.starts_with(b"<html") {
        Ok(PageKind::Html)
    } else {
        Err(ScrapeError::NotAWebPage {
            content_type: "unknown".into(),
        })
    }
}

/// Maps a reqwest failure to a typed reason (without the URL's secrets:
/// URLs with credentials are refused earlier).
fn classify(e: &reqwest::Error, limits: &ScrapeLimits) -> ScrapeError {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if let Some(refused) = inner.downcast_ref::<RedirectRefused>() {
            return match refused {
                RedirectRefused::TooMany => ScrapeError::TooManyRedirects {
                    max: limits.max_redirects,
                },
                RedirectRefused::NotWeb => ScrapeError::BadUrl {
                    url: e.url().map(|u| u.to_string()).unwrap_or_default(),
                    reason: refused.to_string(),
                },
            };
        }
        source = inner.source();
    }
    if e.is_timeout() {
        return ScrapeError::Timeout;
    }
    if e.is_redirect() {
        return ScrapeError::TooManyRedirects {
            max: limits.max_redirects,
        };
    }
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    let kind = if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    ScrapeError::Network(if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(kind_of("text/html; charset=utf-8").unwrap(), PageKind::Html);
        assert_eq!(kind_of("Application/XHTML+XML").unwrap(), PageKind::Html);
        assert_eq!(kind_of("text/plain").unwrap(), PageKind::Text);
        assert_eq!(
            kind_of("application/pdf").unwrap_err().code(),
            "not_a_web_page"
        );
        assert_eq!(
            sniff_kind(b"  <!DOCTYPE html><p>x").unwrap(),
            PageKind::Html
        );
        assert!(sniff_kind(b"%PDF-1.7").is_err());
    }
}
