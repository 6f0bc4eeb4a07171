//! Verifying Autumn's webhooks, which Svix delivers and signs.
//!
//! Svix's scheme ("Verifying Webhooks Manually",
//! <https://docs.svix.com/receiving/verifying-payloads/how-manual>): three
//! headers, [`HEADER_ID`], [`HEADER_TIMESTAMP`] (Unix seconds) and
//! [`HEADER_SIGNATURE`] (space-separated `v1,<base64>` entries, any of which
//! may match — several during a secret rotation; other versions are
//! ignored). The signature is HMAC-SHA256, keyed with the base64 part of the
//! `whsec_…` secret, over `{id}.{timestamp}.{raw body}` — the raw bytes as
//! they arrived, never a re-serialised JSON. It is compared in constant
//! time. A timestamp more than [`TIMESTAMP_TOLERANCE`] away from our clock,
//! either way, is refused, so an old delivery cannot be replayed later;
//! within the tolerance a replay carries the same `svix-id`, which the
//! receiver dedupes on.
//!
//! A verified webhook only names a customer whose purchases must be
//! reconciled ([`super::webhook_event`]); it never grants anything itself.
//!
//! The `svix` crate's `Webhook::verify` does the same, but it brings a
//! second HTTP stack (hyper, rustls) and ~100 crates for these few lines,
//! so this uses the RustCrypto `hmac` and `sha2` crates and `base64`.

use super::webhook_error::WebhookError;
use super::webhook_event::WebhookEvent;
use crate::clock::SharedClock;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::Sha256;

/// Where a server reads the endpoint's signing secret (`whsec_…`).
pub const ENV_WEBHOOK_SECRET: &str = "AUTUMN_WEBHOOK_SECRET";
/// The message id; the same on every redelivery, so it is the dedupe key.
pub const HEADER_ID: &str = "svix-id";
/// When the delivery was signed, in Unix seconds.
pub const HEADER_TIMESTAMP: &str = "svix-timestamp";
/// Space-separated `v1,<base64>` signatures.
pub const HEADER_SIGNATURE: &str = "svix-signature";
/// The prefix of a Svix signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a webhook's timestamp may be from our clock, in either direction
/// (the Svix libraries' tolerance).
pub const TIMESTAMP_TOLERANCE: Duration = Duration::minutes(5);
/// Longest `svix-id` accepted; it becomes a key in storage.
pub const MAX_ID_CHARS: usize = 256;

/// The signature version this verifier knows.
const VERSION: &str = "v1";

type HmacSha256 = Hmac<Sha256>;

/// A Svix signing secret (`whsec_<base64>`). Never printed.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Reads `whsec_<base64>`. Like the Svix libraries, the prefix may be
    /// left out; an empty or non-base64 key is [`WebhookError::BadSecret`].
    pub fn parse(text: &str) -> Result<Self, WebhookError> {
        let text = text.trim();
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        match BASE64.decode(encoded) {
            Ok(key) if !key.is_empty() => Ok(Self(key)),
            _ => Err(WebhookError::BadSecret),
        }
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `v1,<base64>` signature of a delivery, as Svix sends it (for
    /// tests and anything that has to sign like Svix).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, &timestamp.to_string(), body).finalize();
        format!("{VERSION},{}", BASE64.encode(tag.into_bytes()))
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// A webhook whose signature and timestamp checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedWebhook {
    /// `svix-id`: dedupe on it (the same message redelivered keeps it).
    pub id: String,
    /// When Svix signed it.
    pub signed_at: DateTime<Utc>,
    /// What it says, as far as Banter acts on it.
    pub event: WebhookEvent,
}

/// A delivery whose signature and timestamp checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDelivery {
    /// `svix-id`.
    pub id: String,
    pub signed_at: DateTime<Utc>,
}

/// Checks deliveries against one secret, on an injectable clock.
#[derive(Debug, Clone)]
pub struct WebhookVerifier {
    secret: WebhookSecret,
    clock: SharedClock,
}

impl WebhookVerifier {
    pub fn new(secret: WebhookSecret, clock: SharedClock) -> Self {
        Self { secret, clock }
    }

    /// Verifies a delivery (`headers` as received, `body` the raw bytes)
    /// and reads its event ([`WebhookEvent::parse`]).
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError> {
        let signed = self.verify_signature(headers, body)?;
        let event = WebhookEvent::parse(body)?;
        Ok(VerifiedWebhook {
            id: signed.id,
            signed_at: signed.signed_at,
            event,
        })
    }

    /// The signature and timestamp checks alone, for any Svix payload.
    pub fn verify_signature(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<SignedDelivery, WebhookError> {
        let id = header(headers, HEADER_ID)?;
        let timestamp = header(headers, HEADER_TIMESTAMP)?;
        let signatures = header(headers, HEADER_SIGNATURE)?;
        check_id(id)?;
        let signed_at = parse_timestamp(timestamp)?;
        self.check_age(signed_at)?;
        let expected = self.secret.mac(id, timestamp, body);
        let matches = signatures
            .split_whitespace()
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == VERSION)
            .filter_map(|(_, signature)| BASE64.decode(signature).ok())
            // `verify_slice` compares in constant time.
            .any(|signature| expected.clone().verify_slice(&signature).is_ok());
        if !matches {
            tracing::warn!("webhook refused: no signature matches");
            return Err(WebhookError::BadSignature);
        }
        Ok(SignedDelivery {
            id: id.to_string(),
            signed_at,
        })
    }

    fn check_age(&self, signed_at: DateTime<Utc>) -> Result<(), WebhookError> {
        let age = self.clock.now() - signed_at;
        if age > TIMESTAMP_TOLERANCE {
            return Err(WebhookError::Stale {
                seconds: age.num_seconds(),
            });
        }
        if -age > TIMESTAMP_TOLERANCE {
            return Err(WebhookError::FromTheFuture {
                seconds: (-age).num_seconds(),
            });
        }
        Ok(())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, WebhookError> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .ok_or(WebhookError::MissingHeader(name))
}

/// An id we can use as a storage key: printable ASCII, no spaces, at most
/// [`MAX_ID_CHARS`].
fn check_id(id: &str) -> Result<(), WebhookError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(WebhookError::Malformed(format!(
            "{HEADER_ID} must be 1 to {MAX_ID_CHARS} printable characters"
        )));
    }
    Ok(())
}

/// Unix seconds, digits only (no sign, no fraction).
fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, WebhookError> {
    let malformed = || WebhookError::Malformed(format!("{HEADER_TIMESTAMP} is not Unix seconds"));
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let seconds: i64 = text.parse().map_err(|_| malformed())?;
    DateTime::from_timestamp(seconds, 0).ok_or_else(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::error::ErrorCode;
    use reqwest::header::HeaderValue;
    use std::sync::Arc;

    // The example delivery of Svix's own documentation ("How to Verify
    // Webhooks with the Svix Libraries",
    // https://docs.svix.com/receiving/verifying-payloads/how), whose
    // signature Python's `hmac` reproduces:
    //   base64(hmac.new(b64decode(SECRET[6:]), f"{ID}.{TS}.{BODY}", sha256))
    const DOC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const DOC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const DOC_TIMESTAMP: i64 = 1_614_265_330;
    const DOC_BODY: &str = r#"{"test": 2432232314}"#;
    const DOC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn at(seconds: i64) -> SharedClock {
        Arc::new(ManualClock::new(
            DateTime::from_timestamp(seconds, 0).unwrap(),
        ))
    }

    fn verifier(now: i64) -> WebhookVerifier {
        WebhookVerifier::new(WebhookSecret::parse(DOC_SECRET).unwrap(), at(now))
    }

    fn headers(id: &str, timestamp: &str, signature: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(HEADER_ID, HeaderValue::from_str(id).unwrap());
        map.insert(HEADER_TIMESTAMP, HeaderValue::from_str(timestamp).unwrap());
        map.insert(HEADER_SIGNATURE, HeaderValue::from_str(signature).unwrap());
        map
    }

    fn doc_headers(signature: &str) -> HeaderMap {
        headers(DOC_ID, &DOC_TIMESTAMP.to_string(), signature)
    }

    fn code<T: std::fmt::Debug>(result: Result<T, WebhookError>) -> ErrorCode {
        result.expect_err("must be refused").code()
    }

    #[test]
    fn svix_documentation_vector_verifies() {
        let secret = WebhookSecret::parse(DOC_SECRET).unwrap();
        assert_eq!(
            secret.sign(DOC_ID, DOC_TIMESTAMP, DOC_BODY.as_bytes()),
            DOC_SIGNATURE
        );
        let verified = verifier(DOC_TIMESTAMP)
            .verify_signature(&doc_headers(DOC_SIGNATURE), DOC_BODY.as_bytes())
            .unwrap();
        assert_eq!(verified.id, DOC_ID);
        assert_eq!(verified.signed_at.timestamp(), DOC_TIMESTAMP);
        // Not an Autumn envelope (no "type"): refused by `verify` after
        // the signature checked out.
        assert_eq!(
            code(verifier(DOC_TIMESTAMP).verify(&doc_headers(DOC_SIGNATURE), DOC_BODY.as_bytes())),
            ErrorCode::WebhookMalformed
        );
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let v = verifier(DOC_TIMESTAMP);
        let forged = WebhookSecret::parse("whsec_c2VjcmV0LWZvcmdlZC1ieS1hbi1hdHRhY2tlcg==")
            .unwrap()
            .sign(DOC_ID, DOC_TIMESTAMP, DOC_BODY.as_bytes());
        for signature in [
            forged.as_str(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=",
            "v1,AAAA",
            "v1,not base64!",
            "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "",
        ] {
            assert_eq!(
                code(v.verify_signature(&doc_headers(signature), DOC_BODY.as_bytes())),
                ErrorCode::WebhookBadSignature,
                "{signature:?}"
            );
        }
    }

    #[test]
    fn a_body_changed_by_one_byte_is_refused() {
        let mut body = DOC_BODY.as_bytes().to_vec();
        for i in [0, body.len() / 2, body.len() - 1] {
            body[i] ^= 1;
            assert_eq!(
                code(verifier(DOC_TIMESTAMP).verify_signature(&doc_headers(DOC_SIGNATURE), &body)),
                ErrorCode::WebhookBadSignature
            );
            body[i] ^= 1;
        }
        // The same signature with another id or timestamp does not match.
        let other_id = headers("msg_other", &DOC_TIMESTAMP.to_string(), DOC_SIGNATURE);
        assert_eq!(
            code(verifier(DOC_TIMESTAMP).verify_signature(&other_id, DOC_BODY.as_bytes())),
            ErrorCode::WebhookBadSignature
        );
        let other_time = headers(DOC_ID, &(DOC_TIMESTAMP + 1).to_string(), DOC_SIGNATURE);
        assert_eq!(
            code(verifier(DOC_TIMESTAMP).verify_signature(&other_time, DOC_BODY.as_bytes())),
            ErrorCode::WebhookBadSignature
        );
    }

    #[test]
    fn any_one_of_several_signatures_may_match() {
        let listed = format!("v1,Zm9yZ2Vk v2,abc v1a,xyz {DOC_SIGNATURE} v1,bm9wZQ==");
        let verified = verifier(DOC_TIMESTAMP)
            .verify_signature(&doc_headers(&listed), DOC_BODY.as_bytes())
            .unwrap();
        assert_eq!(verified.id, DOC_ID);
    }

    #[test]
    fn timestamps_outside_the_tolerance_are_refused_either_way() {
        let limit = TIMESTAMP_TOLERANCE.num_seconds();
        let body = DOC_BODY.as_bytes();
        // At the edge, both ways: accepted.
        for now in [DOC_TIMESTAMP + limit, DOC_TIMESTAMP - limit] {
            assert!(verifier(now)
                .verify_signature(&doc_headers(DOC_SIGNATURE), body)
                .is_ok());
        }
        let stale =
            verifier(DOC_TIMESTAMP + limit + 1).verify_signature(&doc_headers(DOC_SIGNATURE), body);
        assert_eq!(stale, Err(WebhookError::Stale { seconds: limit + 1 }));
        let future =
            verifier(DOC_TIMESTAMP - limit - 1).verify_signature(&doc_headers(DOC_SIGNATURE), body);
        assert_eq!(
            future,
            Err(WebhookError::FromTheFuture { seconds: limit + 1 })
        );
        assert_eq!(
            future.unwrap_err().code(),
            ErrorCode::WebhookTimestampOutOfRange
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_refused() {
        let body = DOC_BODY.as_bytes();
        for name in [HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE] {
            let mut map = doc_headers(DOC_SIGNATURE);
            map.remove(name);
            assert_eq!(
                verifier(DOC_TIMESTAMP).verify_signature(&map, body),
                Err(WebhookError::MissingHeader(name))
            );
        }
        for timestamp in [
            "",
            "-1614265330",
            "1614265330.5",
            "16e8",
            " 1614265330",
            "99999999999999",
        ] {
            let map = headers(DOC_ID, timestamp, DOC_SIGNATURE);
            assert_eq!(
                code(verifier(DOC_TIMESTAMP).verify_signature(&map, body)),
                ErrorCode::WebhookMalformed,
                "{timestamp:?}"
            );
        }
        let long_id = "m".repeat(MAX_ID_CHARS + 1);
        for id in ["", "msg 1", long_id.as_str()] {
            let map = headers(id, &DOC_TIMESTAMP.to_string(), DOC_SIGNATURE);
            assert_eq!(
                code(verifier(DOC_TIMESTAMP).verify_signature(&map, body)),
                ErrorCode::WebhookMalformed,
                "{id:?}"
            );
        }
    }

    #[test]
    fn an_autumn_event_verifies_and_names_its_customer() {
        let secret = WebhookSecret::parse(DOC_SECRET).unwrap();
        let body = br#"{"type":"billing.updated","data":{"customer_id":"user-1"}}"#;
        let signature = secret.sign("msg_1", DOC_TIMESTAMP, body);
        let map = headers("msg_1", &DOC_TIMESTAMP.to_string(), &signature);
        let verified = verifier(DOC_TIMESTAMP).verify(&map, body).unwrap();
        assert_eq!(verified.id, "msg_1");
        assert_eq!(
            super::super::webhook_customer(&verified).map(|c| c.as_str()),
            Some("user-1")
        );
        // Tampered: refused before the body is read.
        let tampered = br#"{"type":"billing.updated","data":{"customer_id":"user-2"}}"#;
        assert_eq!(
            code(verifier(DOC_TIMESTAMP).verify(&map, tampered)),
            ErrorCode::WebhookBadSignature
        );
    }

    /// The mock Autumn signs with its own code (`banter_mocks::webhooks`):
    /// each side agreeing with the other checks both against the scheme.
    #[test]
    fn what_the_mock_autumn_signs_verifies_and_a_tampered_copy_does_not() {
        use banter_mocks::webhooks::{billing_updated, SignedWebhook};
        let now = 1_800_000_000;
        let signed =
            SignedWebhook::sign(DOC_SECRET, "msg_mock_1", now, &billing_updated("user-1")).unwrap();
        let mut map = HeaderMap::new();
        for (name, value) in signed.headers() {
            map.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        let verified = verifier(now).verify(&map, signed.body.as_bytes()).unwrap();
        assert_eq!(verified.id, "msg_mock_1");
        assert_eq!(
            verified.event.customer().map(|c| c.as_str()),
            Some("user-1")
        );
        let tampered = signed.body.replace("user-1", "user-2");
        assert_eq!(
            code(verifier(now).verify(&map, tampered.as_bytes())),
            ErrorCode::WebhookBadSignature
        );
    }

    #[test]
    fn a_signed_body_that_is_not_an_event_is_malformed() {
        let secret = WebhookSecret::parse(DOC_SECRET).unwrap();
        for body in [&b"not json"[..], b"[]", br#"{"data":{}}"#, br#"{"type":7}"#] {
            let signature = secret.sign(DOC_ID, DOC_TIMESTAMP, body);
            assert_eq!(
                code(verifier(DOC_TIMESTAMP).verify(&doc_headers(&signature), body)),
                ErrorCode::WebhookMalformed,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn secrets_must_be_base64_and_are_never_printed() {
        for bad in ["", "whsec_", "whsec_not base64!", "whsec_%%%%"] {
            assert_eq!(
                WebhookSecret::parse(bad).unwrap_err().code(),
                ErrorCode::WebhookBadSecret,
                "{bad:?}"
            );
        }
        // Without the prefix, as the Svix libraries also accept it.
        let bare = WebhookSecret::parse(&DOC_SECRET[SECRET_PREFIX.len()..]).unwrap();
        assert_eq!(
            bare.sign(DOC_ID, DOC_TIMESTAMP, DOC_BODY.as_bytes()),
            DOC_SIGNATURE
        );
        let shown = format!("{:?}", verifier(0));
        assert!(!shown.contains("MfKQ9r8"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }
}
