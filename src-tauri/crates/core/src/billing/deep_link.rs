//! The `banter://` links the app accepts, parsed into a closed set.
//!
//! A deep link is untrusted input: any web page or local program can fire
//! one with any text in it. So the parser knows exactly two links and
//! rejects everything else — other schemes, hosts, paths, parameters,
//! credentials, ports, fragments, percent-encoded look-alikes and oversized
//! input. A link never carries an amount or a product that the app would
//! believe: `purchase/complete` only means "go and ask Autumn now".

use crate::error::ErrorCode;
use reqwest::Url;

pub const SCHEME: &str = "banter";
/// Longer input is refused before it is parsed.
pub const MAX_LINK_CHARS: usize = 1_024;
/// The only parameter: our own checkout reference, used to match the link
/// to a pending checkout in logs and the UI, never to grant anything.
pub const REF_PARAM: &str = "ref";
const MAX_REF_CHARS: usize = 64;

/// Every link Banter acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLink {
    /// `banter://purchase/complete[?ref=…]`: the browser says a checkout ended
    /// well; reconcile with Autumn.
    PurchaseComplete { reference: Option<String> },
    /// `banter://purchase/cancel[?ref=…]`: the user left the checkout.
    PurchaseCancelled { reference: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeepLinkError {
    #[error("the link is too long ({chars} characters; at most {MAX_LINK_CHARS})")]
    TooLong { chars: usize },
    #[error("not a link: {0}")]
    Malformed(String),
    #[error("not a banter:// link")]
    WrongScheme,
    #[error("unknown banter:// link")]
    UnknownLink,
    #[error("the link carries something Banter does not accept: {0}")]
    Unexpected(String),
}

impl DeepLinkError {
    pub fn code(&self) -> ErrorCode {
        ErrorCode::BadDeepLink
    }
}

/// Parses one link, accepting only the forms of [`DeepLink`].
pub fn parse(raw: &str) -> Result<DeepLink, DeepLinkError> {
    let chars = raw.chars().count();
    if chars > MAX_LINK_CHARS {
        return Err(DeepLinkError::TooLong { chars });
    }
    let raw = raw.trim();
    if raw.chars().any(char::is_control) {
        return Err(DeepLinkError::Malformed("control characters".into()));
    }
    let url = Url::parse(raw).map_err(|e| DeepLinkError::Malformed(e.to_string()))?;
    if url.scheme() != SCHEME {
        return Err(DeepLinkError::WrongScheme);
    }
    // What was sent must be what was parsed: no dot segments or other forms
    // the parser would quietly rewrite into a known link.
    if !url.as_str().eq_ignore_ascii_case(raw) {
        return Err(DeepLinkError::Unexpected("a non-canonical form".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DeepLinkError::Unexpected("credentials".into()));
    }
    if url.port().is_some() {
        return Err(DeepLinkError::Unexpected("a port".into()));
    }
    if url.fragment().is_some() {
        return Err(DeepLinkError::Unexpected("a fragment".into()));
    }
    let reference = reference(&url)?;
    match (url.host_str(), url.path()) {
        (Some("purchase"), "/complete") => Ok(DeepLink::PurchaseComplete { reference }),
        (Some("purchase"), "/cancel") => Ok(DeepLink::PurchaseCancelled { reference }),
        _ => Err(DeepLinkError::UnknownLink),
    }
}

/// The optional `ref`: at most once, short, letters, digits, `-` and `_`.
fn reference(url: &Url) -> Result<Option<String>, DeepLinkError> {
    let Some(query) = url.query() else {
        return Ok(None);
    };
    if query.is_empty() {
        return Ok(None);
    }
    let mut found = None;
    for (key, value) in url.query_pairs() {
        if key != REF_PARAM {
            return Err(DeepLinkError::Unexpected(format!("the parameter {key:?}")));
        }
        if found.is_some() {
            return Err(DeepLinkError::Unexpected("a repeated parameter".into()));
        }
        let ok = !value.is_empty()
            && value.len() <= MAX_REF_CHARS
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(DeepLinkError::Unexpected("a malformed reference".into()));
        }
        found = Some(value.into_owned());
    }
    // `?&` and the like leave no pair but are not a clean link either.
    if found.is_none() {
        return Err(DeepLinkError::Unexpected("an empty query".into()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(reference: Option<&str>) -> DeepLink {
        DeepLink::PurchaseComplete {
            reference: reference.map(str::to_string),
        }
    }

    #[test]
    fn accepts_exactly_the_known_links() {
        let table = [
            ("banter://purchase/complete", complete(None)),
            ("  banter://purchase/complete\n", complete(None)),
            ("BANTER://purchase/complete", complete(None)),
            (
                "banter://purchase/complete?ref=ck_123-abc",
                complete(Some("ck_123-abc")),
            ),
            ("banter://purchase/complete?", complete(None)),
            (
                "banter://purchase/cancel?ref=x",
                DeepLink::PurchaseCancelled {
                    reference: Some("x".into()),
                },
            ),
        ];
        for (raw, expected) in table {
            assert_eq!(parse(raw), Ok(expected), "{raw:?}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        let long = format!("banter://purchase/complete?ref={}", "a".repeat(100_000));
        let table: [(&str, &str); 25] = [
            ("", "Malformed"),
            ("purchase/complete", "Malformed"),
            ("https://purchase/complete", "WrongScheme"),
            ("banterx://purchase/complete", "WrongScheme"),
            ("javascript:alert(1)", "WrongScheme"),
            ("file:///purchase/complete", "WrongScheme"),
            ("banter://purchase/complete/", "UnknownLink"),
            ("banter://purchase/completed", "UnknownLink"),
            ("banter://purchase/", "UnknownLink"),
            ("banter://Purchase/complete", "UnknownLink"),
            ("banter://billing/complete", "UnknownLink"),
            ("banter:purchase/complete", "UnknownLink"),
            ("banter://purchase/%63omplete", "UnknownLink"),
            ("banter://purch%61se/complete", "UnknownLink"),
            ("banter://purchase/complete/../complete", "Unexpected"),
            ("banter://purchase/complete?credits=5000", "Unexpected"),
            ("banter://purchase/complete?amount=1&ref=a", "Unexpected"),
            (
                "banter://purchase/complete?product=credits_5000",
                "Unexpected",
            ),
            ("banter://purchase/complete?ref=a&ref=b", "Unexpected"),
            ("banter://purchase/complete?ref=%3Cscript%3E", "Unexpected"),
            ("banter://purchase/complete?ref=", "Unexpected"),
            ("banter://purchase/complete#credits=500", "Unexpected"),
            ("banter://user:pw@purchase/complete", "Unexpected"),
            ("banter://purchase:8080/complete", "Unexpected"),
            ("banter://purchase/complete\u{0}", "Malformed"),
        ];
        for (raw, kind) in table {
            let err = parse(raw).expect_err(raw);
            assert!(format!("{err:?}").starts_with(kind), "{raw:?}: {err:?}");
            assert_eq!(err.code(), ErrorCode::BadDeepLink);
        }
        assert!(matches!(parse(&long), Err(DeepLinkError::TooLong { .. })));
    }
}
