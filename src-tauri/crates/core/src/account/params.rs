//! The shape of the values a sign-in answer carries, shared by the
//! `banter://auth/callback` deep link and the CLI's loopback listener, so
//! both refuse the same things.

use super::authorize::AuthorizationResponse;
use super::error::{AccountError, Result};
use reqwest::Url;
use std::collections::HashMap;

/// The longest authorization code accepted (some providers' codes run to
/// well over a thousand characters).
pub const MAX_CODE_CHARS: usize = 2_048;
/// The longest `state` accepted; Banter's own are 43 characters.
pub const MAX_STATE_CHARS: usize = 128;
/// The longest `error` accepted (RFC 6749 codes such as `access_denied`).
pub const MAX_ERROR_CHARS: usize = 64;
/// The longest `error_description` accepted.
pub const MAX_ERROR_DESCRIPTION_CHARS: usize = 512;

/// A code: 1..=[`MAX_CODE_CHARS`] of letters, digits and `-._~+/=`
/// (base64 and base64url codes, and slashes as some providers use).
pub fn is_valid_code(code: &str) -> bool {
    (1..=MAX_CODE_CHARS).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

/// A state: 1..=[`MAX_STATE_CHARS`] of letters, digits, `-` and `_` (the
/// base64url Banter generates).
pub fn is_valid_state(state: &str) -> bool {
    (1..=MAX_STATE_CHARS).contains(&state.len())
        && state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An error code: 1..=[`MAX_ERROR_CHARS`] of lowercase letters and `_`.
pub fn is_valid_error(error: &str) -> bool {
    (1..=MAX_ERROR_CHARS).contains(&error.len())
        && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// A description: printable ASCII (RFC 6749 §4.1.2.1 allows no more),
/// 1..=[`MAX_ERROR_DESCRIPTION_CHARS`], shown to the user as plain text.
pub fn is_valid_description(description: &str) -> bool {
    (1..=MAX_ERROR_DESCRIPTION_CHARS).contains(&description.len())
        && description.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Parses the query of a loopback redirect. Parameters other than the ones
/// read are ignored (providers add `scope`, `session_state`, `iss`, …), but
/// none of the read ones may repeat or be malformed.
pub fn parse_callback_query(query: &str) -> Result<AuthorizationResponse> {
    let bad = |what: &str| AccountError::BadCallback(what.to_string());
    let url = Url::parse(&format!("http://127.0.0.1/?{query}"))
        .map_err(|_| bad("an unreadable query"))?;
    let mut seen: HashMap<String, String> = HashMap::new();
    for (key, value) in url.query_pairs() {
        if !matches!(
            key.as_ref(),
            "code" | "state" | "error" | "error_description"
        ) {
            continue;
        }
        if seen
            .insert(key.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(bad("a repeated parameter"));
        }
    }
    let state = seen.remove("state");
    if let Some(state) = &state {
        if !is_valid_state(state) {
            return Err(bad("a malformed state"));
        }
    }
    if let Some(error) = seen.remove("error") {
        if !is_valid_error(&error) || seen.contains_key("code") {
            return Err(bad("a malformed error"));
        }
        let description = seen.remove("error_description");
        if description
            .as_deref()
            .is_some_and(|d| !is_valid_description(d))
        {
            return Err(bad("a malformed error description"));
        }
        return Ok(AuthorizationResponse::Error {
            error,
            description,
            state,
        });
    }
    let code = seen.remove("code").ok_or_else(|| bad("no code"))?;
    if !is_valid_code(&code) {
        return Err(bad("a malformed code"));
    }
    let state = state.ok_or_else(|| bad("no state"))?;
    Ok(AuthorizationResponse::Code { code, state })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codes_and_refusals() {
        assert_eq!(
            parse_callback_query("code=4%2F0Ab-x&state=s_1&scope=openid").unwrap(),
            AuthorizationResponse::Code {
                code: "4/0Ab-x".into(),
                state: "s_1".into()
            }
        );
        assert_eq!(
            parse_callback_query("error=access_denied&error_description=no+thanks&state=s")
                .unwrap(),
            AuthorizationResponse::Error {
                error: "access_denied".into(),
                description: Some("no thanks".into()),
                state: Some("s".into())
            }
        );
    }

    #[test]
    fn refuses_malformed_answers() {
        let long_code = format!("code={}&state=s", "a".repeat(MAX_CODE_CHARS + 1));
        for bad in [
            "",
            "state=s",
            "code=a",
            "code=a&code=b&state=s",
            "code=a&state=s&state=t",
            "code=a%3Cb&state=s",
            "code=a&state=s%20t",
            "code=&state=s",
            "error=Access-Denied",
            "error=access_denied&code=a&state=s",
            "error=access_denied&error_description=%0A",
            long_code.as_str(),
        ] {
            assert!(
                matches!(parse_callback_query(bad), Err(AccountError::BadCallback(_))),
                "{bad:?}"
            );
        }
    }
}
