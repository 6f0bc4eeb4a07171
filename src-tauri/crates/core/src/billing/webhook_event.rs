//! What a verified Autumn webhook says, as far as Banter acts on it.
//!
//! The envelope is `{"type": …, "data": {…}}`. Two types matter:
//! `customer.products.updated` (the customer is `data.customer.id`, with a
//! `data.scenario` such as `new` or `renew`) and `billing.updated` (the
//! customer is `data.customer_id`). Any other type is acknowledged and
//! ignored. Neither kind grants anything: it only names the customer whose
//! purchases must be reconciled — reconcile asks Autumn what was paid and
//! grants each Stripe invoice once ([`super::service::Billing::reconcile`]),
//! so a replayed or reordered webhook can at most cause one more check.

use super::webhook::VerifiedWebhook;
use super::webhook_error::WebhookError;
use serde_json::Value;

/// `customer.products.updated`.
pub const PRODUCTS_UPDATED: &str = "customer.products.updated";
/// `billing.updated`.
pub const BILLING_UPDATED: &str = "billing.updated";
/// Longest customer id read from a webhook (ours are UUIDs).
pub const MAX_CUSTOMER_ID_CHARS: usize = 256;
/// Longest event type or scenario kept (for logs).
const MAX_LABEL_CHARS: usize = 64;

/// An Autumn customer id read from a webhook: 1 to
/// [`MAX_CUSTOMER_ID_CHARS`] characters without spaces or control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerId(String);

impl CustomerId {
    /// `None` when `text` cannot be a customer id.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.chars().count() <= MAX_CUSTOMER_ID_CHARS
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        ok.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The webhooks Banter tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `customer.products.updated`: a product was attached, renewed,
    /// cancelled… `customer` is `None` when the id is missing or unusable.
    ProductsUpdated {
        customer: Option<CustomerId>,
        scenario: Option<String>,
    },
    /// `billing.updated`: a plan or purchase changed.
    BillingUpdated { customer: Option<CustomerId> },
    /// Any other type: acknowledged, nothing done.
    Ignored { event_type: String },
}

impl WebhookEvent {
    /// Reads the envelope of a (verified) body. A body that is not a JSON
    /// object with a string `type` is [`WebhookError::Malformed`]; unknown
    /// types and missing fields are not errors.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let envelope: Value = serde_json::from_slice(body)
            .map_err(|_| WebhookError::Malformed("the body is not JSON".into()))?;
        let event_type = envelope
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| WebhookError::Malformed("the body has no string \"type\"".into()))?;
        let data = envelope.get("data").unwrap_or(&Value::Null);
        let customer =
            |value: Option<&Value>| value.and_then(Value::as_str).and_then(CustomerId::parse);
        Ok(match event_type {
            PRODUCTS_UPDATED => Self::ProductsUpdated {
                customer: customer(data.get("customer").and_then(|c| c.get("id"))),
                scenario: data.get("scenario").and_then(Value::as_str).map(label),
            },
            BILLING_UPDATED => Self::BillingUpdated {
                customer: customer(data.get("customer_id")),
            },
            other => Self::Ignored {
                event_type: label(other),
            },
        })
    }

    /// The customer whose purchases must be reconciled, if any.
    pub fn customer(&self) -> Option<&CustomerId> {
        match self {
            Self::ProductsUpdated { customer, .. } | Self::BillingUpdated { customer } => {
                customer.as_ref()
            }
            Self::Ignored { .. } => None,
        }
    }

    /// The event type, for logs.
    pub fn event_type(&self) -> &str {
        match self {
            Self::ProductsUpdated { .. } => PRODUCTS_UPDATED,
            Self::BillingUpdated { .. } => BILLING_UPDATED,
            Self::Ignored { event_type } => event_type,
        }
    }
}

/// The customer a verified webhook asks to reconcile; `None` for events
/// Banter ignores and for a known event without a usable customer id.
pub fn webhook_customer(webhook: &VerifiedWebhook) -> Option<&CustomerId> {
    webhook.event.customer()
}

/// `text` cut to [`MAX_LABEL_CHARS`] characters, for logs.
fn label(text: &str) -> String {
    text.chars().take(MAX_LABEL_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> WebhookEvent {
        WebhookEvent::parse(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn products_updated_names_data_customer_id() {
        let event = parse(json!({
            "type": "customer.products.updated",
            "data": {
                "scenario": "new",
                "customer": {"id": "user-1", "products": [], "features": {}},
                "updated_product": {"id": "credits_500"}
            }
        }));
        assert_eq!(
            event,
            WebhookEvent::ProductsUpdated {
                customer: CustomerId::parse("user-1"),
                scenario: Some("new".into()),
            }
        );
        assert_eq!(event.customer().map(CustomerId::as_str), Some("user-1"));
        assert_eq!(event.event_type(), PRODUCTS_UPDATED);
    }

    #[test]
    fn billing_updated_names_data_customer_id() {
        let event = parse(json!({
            "type": "billing.updated",
            "data": {"object": "billing.updated", "customer_id": "user-2", "plan_changes": []}
        }));
        assert_eq!(event.customer().map(CustomerId::as_str), Some("user-2"));
        assert_eq!(event.event_type(), BILLING_UPDATED);
    }

    #[test]
    fn other_types_are_ignored_and_odd_customers_name_nobody() {
        for event_type in [
            "customer.threshold_reached",
            "balances.limit_reached",
            "billing.auto_topup_succeeded",
            "vercel.anything",
        ] {
            let event = parse(json!({"type": event_type, "data": {"customer_id": "user-1"}}));
            assert_eq!(event.customer(), None, "{event_type}");
            assert!(matches!(event, WebhookEvent::Ignored { .. }));
        }
        for data in [
            json!({}),
            json!({"customer": "user-1"}),
            json!({"customer": {"id": 7}}),
            json!({"customer": {"id": ""}}),
            json!({"customer": {"id": "two words"}}),
            json!({"customer": {"id": "x".repeat(MAX_CUSTOMER_ID_CHARS + 1)}}),
        ] {
            let event = parse(json!({"type": PRODUCTS_UPDATED, "data": data}));
            assert_eq!(event.customer(), None, "{data}");
        }
        let no_data = parse(json!({"type": BILLING_UPDATED}));
        assert_eq!(no_data, WebhookEvent::BillingUpdated { customer: None });
    }
}
