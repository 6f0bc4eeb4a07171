//! Autumn's webhooks as Svix delivers them, for the mock Autumn
//! ([`crate::autumn`]) and for tests that need a signed delivery.
//!
//! Svix signs `{svix-id}.{svix-timestamp}.{body}` with HMAC-SHA256, keyed
//! with the base64-decoded part of a `whsec_…` secret, and sends the
//! signature as `svix-signature: v1,<base64>` beside `svix-id` and
//! `svix-timestamp` (Unix seconds)
//! (<https://docs.svix.com/receiving/verifying-payloads/how-manual>).
//! Written apart from `banter-core`'s verifier on purpose: a test in which
//! one accepts what the other signed checks both against the scheme.

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A signed webhook delivery: what goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedWebhook {
    /// `svix-id`; a redelivery keeps it.
    pub id: String,
    /// `svix-timestamp`, Unix seconds.
    pub timestamp: i64,
    /// `svix-signature`: `v1,<base64>`.
    pub signature: String,
    /// The raw JSON body, exactly as signed.
    pub body: String,
}

impl SignedWebhook {
    /// Signs `event` as message `id` at `timestamp` with `secret`
    /// (`whsec_<base64>`).
    pub fn sign(secret: &str, id: &str, timestamp: i64, event: &Value) -> anyhow::Result<Self> {
        let body = event.to_string();
        let signature = sign(secret, id, timestamp, body.as_bytes())?;
        Ok(Self {
            id: id.to_string(),
            timestamp,
            signature,
            body,
        })
    }

    /// The three Svix headers.
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("svix-id", self.id.clone()),
            ("svix-timestamp", self.timestamp.to_string()),
            ("svix-signature", self.signature.clone()),
        ]
    }

    /// POSTs this delivery to `url` (loopback only) and returns the HTTP
    /// status the endpoint answered.
    pub async fn deliver(&self, url: &str) -> anyhow::Result<u16> {
        let target = reqwest::Url::parse(url).context("the webhook URL")?;
        let host = target.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let loopback =
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            bail!("the mock delivers webhooks to loopback addresses only");
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut request = client
            .post(target)
            .header("content-type", "application/json")
            .body(self.body.clone());
        for (name, value) in self.headers() {
            request = request.header(name, value);
        }
        Ok(request.send().await?.status().as_u16())
    }
}

/// `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> anyhow::Result<String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = BASE64
        .decode(encoded)
        .context("the webhook secret is not base64")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).context("the webhook secret")?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

/// Now, in Unix seconds.
pub fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `customer.products.updated` as Autumn sends it: `data.customer` is the
/// customer at API version 1.2.
pub fn products_updated(customer: Value, scenario: &str, product_id: &str) -> Value {
    json!({
        "type": "customer.products.updated",
        "data": {
            "scenario": scenario,
            "customer": customer,
            "updated_product": {"id": product_id},
        }
    })
}

/// `billing.updated` for `customer_id`.
pub fn billing_updated(customer_id: &str) -> Value {
    json!({
        "type": "billing.updated",
        "data": {
            "object": "billing.updated",
            "customer_id": customer_id,
            "plan_changes": [],
            "tags": [],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Svix's documented example ("How to Verify Webhooks with the Svix
    /// Libraries", https://docs.svix.com/receiving/verifying-payloads/how).
    #[test]
    fn signs_the_svix_documentation_example() {
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(sign("whsec_%%%", "m", 1, b"{}").is_err());
    }

    #[tokio::test]
    async fn delivers_only_to_loopback() {
        let signed = SignedWebhook::sign("whsec_c2VjcmV0", "msg_1", 1, &json!({})).unwrap();
        let err = signed.deliver("http://10.0.0.1:9/hooks").await.unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
    }
}
