//! The `banter://` links the app accepts, parsed into a closed set.
//!
//! A deep link is untrusted input: any web page or local program can fire
//! one with any text in it. So the parser knows exactly three links and
//! rejects everything else — other schemes, hosts, paths, parameters,
//! credentials, ports, fragments, percent-encoded look-alikes and oversized
//! input. A link never carries an amount or a product that the app would
//! believe: `purchase/complete` only means "go and ask Autumn now", and
//! `auth/callback` only hands a code to the sign-in attempt whose `state`
//! it carries (see `crate::account::SignInAttempt::finish`).

use crate::account::params::{is_valid_code, is_valid_description, is_valid_error, is_valid_state};
use crate::account::AuthorizationResponse;
use crate::error::ErrorCode;
use reqwest::Url;

pub const SCHEME: &str = "banter";
/// Longer input is refused before it is parsed. Room for a sign-in answer:
/// a code of up to `crate::account::params::MAX_CODE_CHARS` plus its state.
pub const MAX_LINK_CHARS: usize = 4_096;
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
    /// `banter://auth/callback?code=…&state=…` (both required, nothing
    /// else), or the provider's refusal
    /// `banter://auth/callback?error=…&state=…[&error_description=…]`.
    /// Its `Debug` hides the code.
    AuthCallback(AuthorizationResponse),
}

impl DeepLink {
    /// Whether the link answers a sign-in (and so is no business of billing).
    pub fn is_sign_in(&self) -> bool {
        matches!(self, Self::AuthCallback(_))
    }
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
    /// A sign-in answer handed to the purchase check (it belongs to the
    /// sign-in attempt, never to billing).
    #[error("a sign-in link is not a purchase link")]
    NotAPurchase,
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
    match (url.host_str(), url.path()) {
        (Some("purchase"), "/complete") => Ok(DeepLink::PurchaseComplete {
            reference: reference(&url)?,
        }),
        (Some("purchase"), "/cancel") => Ok(DeepLink::PurchaseCancelled {
            reference: reference(&url)?,
        }),
        (Some("auth"), "/callback") => auth_callback(&url).map(DeepLink::AuthCallback),
        _ => Err(DeepLinkError::UnknownLink),
    }
}

/// The sign-in answer: exactly `code` and `state`, or `error` and `state`
/// with an optional `error_description`; each at most once and of the
/// shape `crate::account::params` allows.
fn auth_callback(url: &Url) -> Result<AuthorizationResponse, DeepLinkError> {
    let unexpected = |what: &str| DeepLinkError::Unexpected(what.to_string());
    let (mut code, mut state, mut error, mut description) = (None, None, None, None);
    for (key, value) in url.query_pairs() {
        let slot = match key.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => return Err(DeepLinkError::Unexpected(format!("the parameter {key:?}"))),
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(unexpected("a repeated parameter"));
        }
    }
    let state = state.ok_or_else(|| unexpected("a sign-in answer without a state"))?;
    if !is_valid_state(&state) {
        return Err(unexpected("a malformed state"));
    }
    match (code, error) {
        (Some(code), None) if description.is_none() => {
            if !is_valid_code(&code) {
                return Err(unexpected("a malformed code"));
            }
            Ok(AuthorizationResponse::Code { code, state })
        }
        (None, Some(error)) => {
            if !is_valid_error(&error) {
                return Err(unexpected("a malformed error"));
            }
            if description
                .as_deref()
                .is_some_and(|d| !is_valid_description(d))
            {
                return Err(unexpected("a malformed error description"));
            }
            Ok(AuthorizationResponse::Error {
                error,
                description,
                state: Some(state),
            })
        }
        _ => Err(unexpected(
            "a sign-in answer that is neither a code nor an error",
        )),
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

    fn signed_in(code: &str, state: &str) -> DeepLink {
        DeepLink::AuthCallback(AuthorizationResponse::Code {
            code: code.into(),
            state: state.into(),
        })
    }

    #[test]
    fn accepts_the_sign_in_answer() {
        let max_code = "c".repeat(crate::account::params::MAX_CODE_CHARS);
        let max_state = "s".repeat(crate::account::params::MAX_STATE_CHARS);
        let longest = format!("banter://auth/callback?code={max_code}&state={max_state}");
        let table = [
            (
                "banter://auth/callback?code=abc_DEF-123&state=St4te-_x".to_string(),
                signed_in("abc_DEF-123", "St4te-_x"),
            ),
            (
                "banter://auth/callback?state=s&code=4%2F0Ab.c~d%2Be%3D".to_string(),
                signed_in("4/0Ab.c~d+e=", "s"),
            ),
            (
                "banter://auth/callback?code=4/0Ab&state=s".to_string(),
                signed_in("4/0Ab", "s"),
            ),
            (longest, signed_in(&max_code, &max_state)),
            (
                "banter://auth/callback?error=access_denied&state=s".to_string(),
                DeepLink::AuthCallback(AuthorizationResponse::Error {
                    error: "access_denied".into(),
                    description: None,
                    state: Some("s".into()),
                }),
            ),
            (
                "banter://auth/callback?error=access_denied&error_description=The+user+said+no.&state=s"
                    .to_string(),
                DeepLink::AuthCallback(AuthorizationResponse::Error {
                    error: "access_denied".into(),
                    description: Some("The user said no.".into()),
                    state: Some("s".into()),
                }),
            ),
        ];
        for (raw, expected) in table {
            let link = parse(&raw).expect(&raw);
            assert!(link.is_sign_in());
            assert_eq!(link, expected, "{raw:?}");
        }
        // The code never shows in the link's debug form (it may be logged).
        let link = parse("banter://auth/callback?code=secretcode&state=s").unwrap();
        assert!(!format!("{link:?}").contains("secretcode"));
    }

    #[test]
    fn rejects_every_other_sign_in_form() {
        let long_code = format!(
            "banter://auth/callback?code={}&state=s",
            "c".repeat(crate::account::params::MAX_CODE_CHARS + 1)
        );
        let long_state = format!(
            "banter://auth/callback?code=c&state={}",
            "s".repeat(crate::account::params::MAX_STATE_CHARS + 1)
        );
        let too_long = format!(
            "banter://auth/callback?code=c&state={}",
            "s".repeat(MAX_LINK_CHARS)
        );
        let table: Vec<(&str, &str)> = vec![
            ("banter://auth/callback", "Unexpected"),
            ("banter://auth/callback?", "Unexpected"),
            ("banter://auth/callback?code=abc", "Unexpected"),
            ("banter://auth/callback?state=abc", "Unexpected"),
            ("banter://auth/callback?code=&state=s", "Unexpected"),
            ("banter://auth/callback?code=a&state=", "Unexpected"),
            (
                "banter://auth/callback?code=a&state=s&scope=openid",
                "Unexpected",
            ),
            ("banter://auth/callback?code=a&state=s&ref=x", "Unexpected"),
            ("banter://auth/callback?code=a&code=b&state=s", "Unexpected"),
            (
                "banter://auth/callback?code=a&state=s&state=t",
                "Unexpected",
            ),
            ("banter://auth/callback?code=a%3Cb&state=s", "Unexpected"),
            ("banter://auth/callback?code=a%20b&state=s", "Unexpected"),
            ("banter://auth/callback?code=a&state=s.t", "Unexpected"),
            ("banter://auth/callback?code=a&state=s%2Ft", "Unexpected"),
            (
                "banter://auth/callback?code=a&error=access_denied&state=s",
                "Unexpected",
            ),
            (
                "banter://auth/callback?code=a&error_description=x&state=s",
                "Unexpected",
            ),
            ("banter://auth/callback?error=access_denied", "Unexpected"),
            (
                "banter://auth/callback?error=Access-Denied&state=s",
                "Unexpected",
            ),
            ("banter://auth/callback?error=&state=s", "Unexpected"),
            (
                "banter://auth/callback?error=x&error_description=%0A&state=s",
                "Unexpected",
            ),
            (
                "banter://auth/callback?error=x&error_description=%C3%A9&state=s",
                "Unexpected",
            ),
            (
                "banter://auth/callback?error_description=x&state=s",
                "Unexpected",
            ),
            ("banter://auth/callback?code=a&state=s#x", "Unexpected"),
            ("banter://auth:1/callback?code=a&state=s", "Unexpected"),
            ("banter://u@auth/callback?code=a&state=s", "Unexpected"),
            (
                "banter://auth/callback/../callback?code=a&state=s",
                "Unexpected",
            ),
            ("banter://auth/callback/?code=a&state=s", "UnknownLink"),
            ("banter://auth/Callback?code=a&state=s", "UnknownLink"),
            ("banter://Auth/callback?code=a&state=s", "UnknownLink"),
            ("banter://auth/%63allback?code=a&state=s", "UnknownLink"),
            ("banter://auth/login?code=a&state=s", "UnknownLink"),
            ("banter://auth?code=a&state=s", "UnknownLink"),
            ("https://auth/callback?code=a&state=s", "WrongScheme"),
            ("banter://auth/callback?code=a&state=s\u{7}", "Malformed"),
            (long_code.as_str(), "Unexpected"),
            (long_state.as_str(), "Unexpected"),
            (too_long.as_str(), "TooLong"),
        ];
        for (raw, kind) in table {
            let err = parse(raw).expect_err(raw);
            assert!(format!("{err:?}").starts_with(kind), "{raw:?}: {err:?}");
            assert_eq!(err.code(), ErrorCode::BadDeepLink);
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
