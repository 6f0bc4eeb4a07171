//! Fetching a page within limits: http(s) only, a connect and a total
//! timeout, at most `max_redirects` redirects — followed here, one hop at a
//! time, each checked like a typed address and against the address rules
//! of [`super::network`] — at most `max_bytes` of body (streamed, stopping
//! early, and refused up front when Content-Length says so), and only HTML,
//! XHTML or plain text.

use super::charset;
use super::network::{Connector, Network, Origin, ScrapePolicy};
use super::url::validate;
use super::{ScrapeError, ScrapeLimits};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
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

/// Fetches `url` within `limits`, finding addresses with `network` and
/// judging them under `policy`.
pub async fn fetch(
    url: Url,
    limits: &ScrapeLimits,
    network: &Network,
    policy: ScrapePolicy,
) -> Result<Page, ScrapeError> {
    // Setting up TLS is local work, done before the clock starts.
    let connector = Connector::new(limits)?;
    // reqwest's timeout holds for each request too; this one bounds the
    // whole chain, name lookups and our reading loop included.
    let chain = fetch_inner(&connector, url, limits, network, policy);
    tokio::time::timeout(limits.total_timeout, chain)
        .await
        .map_err(|_| ScrapeError::Timeout)?
}

async fn fetch_inner(
    connector: &Connector,
    url: Url,
    limits: &ScrapeLimits,
    network: &Network,
    policy: ScrapePolicy,
) -> Result<Page, ScrapeError> {
    let mut current = url;
    let mut origin = Origin::Typed;
    let mut redirects = 0;
    loop {
        let hop = network.hop(&current, origin, policy).await?;
        network.check_connect(&hop)?;
        let response = connector
            .client_for(&current, &hop)
            .get(current.clone())
            .header(
                ACCEPT,
                "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
            )
            .send()
            .await
            .map_err(|e| classify(&e))?;
        match redirect_target(&current, &response)? {
            Some(next) => {
                redirects += 1;
                if redirects > limits.max_redirects {
                    return Err(ScrapeError::TooManyRedirects {
                        max: limits.max_redirects,
                    });
                }
                tracing::debug!(redirects, "following a redirect");
                origin = Origin::RedirectFrom { public: hop.public };
                current = next;
            }
            None => return read_page(response, limits).await,
        }
    }
}

/// Where a redirect response points, checked like a typed address
/// (http/https, a host, no credentials); `None` if it is no redirect.
fn redirect_target(
    current: &Url,
    response: &reqwest::Response,
) -> Result<Option<Url>, ScrapeError> {
    let status = response.status();
    if !matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    ) {
        return Ok(None);
    }
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ScrapeError::HttpError {
            status: status.as_u16(),
        })?;
    let next = current.join(location).map_err(|e| ScrapeError::BadUrl {
        url: location.chars().take(200).collect(),
        reason: format!("the page redirected to an invalid address ({e})"),
    })?;
    validate(next.as_str()).map(Some)
}

/// Checks the final response and reads its body within `limits`.
async fn read_page(
    mut response: reqwest::Response,
    limits: &ScrapeLimits,
) -> Result<Page, ScrapeError> {
    let status = response.status();
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        return Err(ScrapeError::NotFound {
            status: status.as_u16(),
        });
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
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
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
fn classify(e: &reqwest::Error) -> ScrapeError {
    if e.is_timeout() {
        return ScrapeError::Timeout;
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
    use crate::error::ErrorCode;

    #[test]
    fn media_types() {
        assert_eq!(kind_of("text/html; charset=utf-8").unwrap(), PageKind::Html);
        assert_eq!(kind_of("Application/XHTML+XML").unwrap(), PageKind::Html);
        assert_eq!(kind_of("text/plain").unwrap(), PageKind::Text);
        assert_eq!(
            kind_of("application/pdf").unwrap_err().code(),
            ErrorCode::NotAWebPage
        );
        assert_eq!(
            sniff_kind(b"  <!DOCTYPE html><p>x").unwrap(),
            PageKind::Html
        );
        assert!(sniff_kind(b"%PDF-1.7").is_err());
    }
}
