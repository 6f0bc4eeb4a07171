//! Where a request that carries a key may go. Provider and Autumn calls put
//! a secret in a header and the user's words in the body, so:
//!
//! - their endpoints must be `https://`, except loopback (`127.0.0.0/8`,
//!   `::1`, `localhost`), where a local server such as Ollama speaks plain
//!   http and nothing crosses the network ([`check_endpoint`]);
//! - their clients never follow a redirect ([`client_builder`]): reqwest
//!   would strip only `Authorization` on a cross-host hop, so Azure's
//!   `api-key` header and the prompt would reach whatever host the answer
//!   names. A 3xx is reported with its `Location` ([`redirect_location`]).
//!
//! Scraping has its own pinned client (see `scrape`) and does not use this.

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::Url;

/// How much of a `Location` header an error message repeats.
const MAX_LOCATION_CHARS: usize = 200;

/// Why an endpoint URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointUrlError {
    #[error("{0:?} is not a URL")]
    Unparsable(String),
    #[error("{0:?} is not an http or https URL")]
    Scheme(String),
    #[error("{0:?} uses plain http to a host that is not this computer; use https")]
    PlainHttp(String),
}

/// `url` parsed, if it is https, or http to a loopback host. Decided from
/// the text alone: nothing is resolved or connected to.
pub fn check_endpoint(url: &str) -> Result<Url, EndpointUrlError> {
    let trimmed = url.trim();
    let parsed =
        Url::parse(trimmed).map_err(|_| EndpointUrlError::Unparsable(trimmed.to_string()))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(EndpointUrlError::PlainHttp(origin_of(&parsed))),
        _ => Err(EndpointUrlError::Scheme(trimmed.to_string())),
    }
}

/// Whether `url` names this computer by a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    // IPv6 hosts come bracketed: `[::1]`.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://host[:port]` of `url`: what a stored key is bound to.
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A client builder that never follows redirects; every keyed client
/// starts here.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// The `Location` of a 3xx answer, shortened for an error message
/// (`"(none)"` when absent or unreadable).
pub fn redirect_location(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(MAX_LOCATION_CHARS).collect())
        .unwrap_or_else(|| "(none)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        for ok in [
            "https://res.openai.azure.com/",
            "http://127.0.0.1:11434/v1",
            "http://127.8.9.10",
            "http://[::1]:8080",
            "http://localhost:1234/v1",
            "http://LOCALHOST",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for plain in [
            "http://example.invalid",
            "http://10.0.0.5:11434/v1",
            "http://localhost.example.invalid",
            "http://[::2]",
        ] {
            assert!(
                matches!(check_endpoint(plain), Err(EndpointUrlError::PlainHttp(_))),
                "{plain}"
            );
        }
        assert!(matches!(
            check_endpoint("ftp://localhost"),
            Err(EndpointUrlError::Scheme(_))
        ));
        assert!(matches!(
            check_endpoint("not a url"),
            Err(EndpointUrlError::Unparsable(_))
        ));
    }

    #[test]
    fn origins_ignore_paths_and_default_ports() {
        let a = check_endpoint("https://res.openai.azure.com:443/openai/").unwrap();
        let b = check_endpoint("https://RES.openai.azure.com").unwrap();
        assert_eq!(origin_of(&a), origin_of(&b));
        let c = check_endpoint("http://127.0.0.1:1/v1").unwrap();
        let d = check_endpoint("http://127.0.0.1:2/v1").unwrap();
        assert_ne!(origin_of(&c), origin_of(&d));
    }
}
