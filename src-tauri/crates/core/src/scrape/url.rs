//! Which addresses may be scraped: absolute `http` and `https` URLs with a
//! host. Checked before anything is charged.

use super::ScrapeError;
use reqwest::Url;

/// Longest address accepted.
pub const MAX_URL_CHARS: usize = 2_048;

/// Parses `input` and accepts only web addresses.
pub fn validate(input: &str) -> Result<Url, ScrapeError> {
    let trimmed = input.trim();
    let bad = |reason: &str| ScrapeError::BadUrl {
        url: trimmed.chars().take(200).collect(),
        reason: reason.to_string(),
    };
    if trimmed.is_empty() {
        return Err(bad("the address is empty"));
    }
    if trimmed.chars().count() > MAX_URL_CHARS {
        return Err(bad("the address is too long"));
    }
    let url = Url::parse(trimmed).map_err(|e| bad(&format!("not a valid address ({e})")))?;
    if !is_web_scheme(url.scheme()) {
        return Err(bad(&format!(
            "only http and https addresses can be scraped, not {}:",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("the address has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "addresses with a user name or password are not scraped",
        ));
    }
    Ok(url)
}

/// `http` or `https` (a redirect to anything else is refused too).
pub fn is_web_scheme(scheme: &str) -> bool {
    matches!(scheme, "http" | "https")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn only_web_addresses_pass() {
        assert!(validate("https://example.com/a?b=c").is_ok());
        assert!(validate("  http://127.0.0.1:8080/  ").is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://example.com/x",
            "javascript:alert(1)",
            "data:text/html,hi",
            "example.com",
            "",
            "http://",
            "https://user:pw@example.com/",
        ] {
            let err = validate(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUrl, "{bad}");
        }
    }
}
