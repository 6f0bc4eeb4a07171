//! A small client for Autumn's REST API, pinned to `x-api-version: 1.2`
//! (response shapes differ by version; 1.2 is what `autumn-js` speaks).
//! Only the calls Banter needs: get-or-create a customer, open a checkout,
//! and read the customer with its products and invoices.

use super::error::BillingError;
use crate::providers::Secret;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

pub const API_VERSION: &str = "1.2";
pub const DEFAULT_BASE_URL: &str = "https://api.useautumn.com";

/// A customer as far as Banter reads it.
///
/// Every field Banter does not need to trust is optional and every list is
/// read entry by entry: one odd invoice or product must not hide the others
/// (reconcile skips what it cannot use, see `service::paid_invoice`).
#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    /// Checked against the id we asked for before anything is granted.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "tolerant_list")]
    pub products: Vec<CustomerProduct>,
    #[serde(default, deserialize_with = "tolerant_list")]
    pub invoices: Vec<Invoice>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerProduct {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// Milliseconds since the epoch, as Autumn sent it: a number of any
    /// size (or something else), checked where it is used.
    #[serde(default)]
    pub current_period_end: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    #[serde(default, deserialize_with = "tolerant_list")]
    pub product_ids: Vec<String>,
    /// The Stripe invoice id: the stable key a purchase is fulfilled by.
    #[serde(default)]
    pub stripe_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// How many of the product were bought, when Autumn says (absent means
    /// one); anything but one is not a purchase Banter knows how to grant.
    #[serde(default)]
    pub quantity: Option<serde_json::Value>,
}

/// A JSON list read entry by entry: entries that do not parse as `T` are
/// dropped with a warning instead of failing the whole response; `null` or
/// a non-list reads as empty.
fn tolerant_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    let serde_json::Value::Array(items) = value else {
        return Ok(Vec::new());
    };
    Ok(items
        .into_iter()
        .enumerate()
        .filter_map(|(index, item)| match serde_json::from_value(item) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                tracing::warn!(index, %error, "skipped an entry Autumn sent that Banter cannot read");
                None
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct CheckoutResponse {
    url: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AutumnClient {
    http: reqwest::Client,
    base_url: String,
    key: Secret,
}

impl AutumnClient {
    /// Refuses plain http to a non-loopback host before anything connects;
    /// the client never follows redirects (see [`crate::transport`]).
    pub fn new(base_url: &str, key: Secret) -> Result<Self, BillingError> {
        crate::transport::check_endpoint(base_url)
            .map_err(|e| BillingError::InsecureEndpoint(e.to_string()))?;
        let http = crate::transport::client_builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| BillingError::Network(e.to_string()))?;
        Ok(Self {
            http,
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            key,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(self.key.expose())
            .header("x-api-version", API_VERSION)
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, BillingError> {
        let response = request
            .send()
            .await
            .map_err(|e| BillingError::Network(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(BillingError::Redirected {
                status: status.as_u16(),
                location: crate::transport::redirect_location(response.headers()),
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| BillingError::Network(e.without_url().to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|e| BillingError::BadResponse(e.to_string()));
        }
        let detail: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        let message = detail
            .map(|d| {
                format!(
                    "{} ({})",
                    d.message.unwrap_or_default(),
                    d.code.unwrap_or_default()
                )
            })
            .unwrap_or_else(|| status.to_string());
        Err(match status.as_u16() {
            401 | 403 => BillingError::Unauthorized,
            429 | 500..=599 => BillingError::Unavailable {
                status: status.as_u16(),
            },
            _ => BillingError::Rejected(message),
        })
    }

    /// `POST /v1/customers`: the customer with this id, created if new.
    pub async fn get_or_create_customer(
        &self,
        id: &str,
        name: &str,
        email: Option<&str>,
    ) -> Result<Customer, BillingError> {
        let body = json!({"id": id, "name": name, "email": email});
        self.send(
            self.request(reqwest::Method::POST, "/v1/customers")
                .json(&body),
        )
        .await
    }

    /// `GET /v1/customers/{id}?expand=invoices`.
    pub async fn customer(&self, id: &str) -> Result<Customer, BillingError> {
        let path = format!("/v1/customers/{}?expand=invoices", urlencode(id));
        self.send(self.request(reqwest::Method::GET, &path)).await
    }

    /// `POST /v1/checkout`: the payment page for `product_id`, returning to
    /// `success_url`. `None` when Autumn charged a saved card at once.
    pub async fn checkout(
        &self,
        customer_id: &str,
        product_id: &str,
        success_url: &str,
    ) -> Result<Option<String>, BillingError> {
        let body = json!({
            "customer_id": customer_id,
            "product_id": product_id,
            "success_url": success_url,
        });
        let response: CheckoutResponse = self
            .send(
                self.request(reqwest::Method::POST, "/v1/checkout")
                    .json(&body),
            )
            .await?;
        Ok(response.url)
    }
}

/// Customer ids are UUIDs we made; encode anyway so a path can never change.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
