//! Reading what Autumn reports before anything is granted from it.
//!
//! Autumn's answer is data from the network: an invoice may lack its id,
//! carry a quantity Banter does not sell, or name a product Banter does not
//! know, and a subscription's period end may be any number. Each invoice is
//! checked on its own — a bad one is skipped and logged, the others are
//! still fulfilled — and no date arithmetic can overflow.

use super::autumn::{CustomerProduct, Invoice};
use super::products::Product;
use chrono::{DateTime, Duration as Span, Utc};
use serde_json::Value;

/// Pro stays on this long past the paid period when Autumn cannot be asked.
pub const PRO_OFFLINE_GRACE: Span = Span::days(3);
/// The furthest ahead a paid period is believed (a year plus a margin): a
/// later `current_period_end` is clamped to this, so odd data cannot give
/// Pro offline for decades, nor overflow a date.
pub const PRO_MAX_PERIOD: Span = Span::days(400);
/// Longer invoice ids are not Stripe's (theirs are ~30 characters).
pub const MAX_INVOICE_ID_CHARS: usize = 255;

/// A paid invoice Banter can fulfil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PaidInvoice<'a> {
    /// The Stripe invoice id, checked: the ledger's idempotency key is
    /// built from it.
    pub stripe_id: &'a str,
    /// The products on it that Banter sells (unknown ones are left out).
    pub products: Vec<Product>,
}

/// Why an invoice is not fulfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Not paid (yet): not an error, nothing to log.
    NotPaid,
    MissingId,
    MalformedId,
    BadQuantity,
    NoKnownProduct,
}

impl Skip {
    fn reason(self) -> &'static str {
        match self {
            Self::NotPaid => "not paid",
            Self::MissingId => "no invoice id",
            Self::MalformedId => "a malformed invoice id",
            Self::BadQuantity => "a quantity other than one",
            Self::NoKnownProduct => "no product Banter sells",
        }
    }
}

/// The invoice at `index` if it is a paid purchase Banter can fulfil. A
/// skipped one is logged (its position and why; never its contents).
pub(crate) fn paid_invoice(index: usize, invoice: &Invoice) -> Option<PaidInvoice<'_>> {
    match check_invoice(invoice) {
        Ok(paid) => Some(paid),
        Err(Skip::NotPaid) => None,
        Err(skip) => {
            tracing::warn!(
                index,
                reason = skip.reason(),
                "skipped a paid invoice from Autumn"
            );
            None
        }
    }
}

fn check_invoice(invoice: &Invoice) -> Result<PaidInvoice<'_>, Skip> {
    if invoice.status.as_deref() != Some("paid") {
        return Err(Skip::NotPaid);
    }
    let stripe_id = invoice.stripe_id.as_deref().ok_or(Skip::MissingId)?;
    if stripe_id.trim().is_empty() {
        return Err(Skip::MissingId);
    }
    let well_formed = stripe_id.len() <= MAX_INVOICE_ID_CHARS
        && stripe_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !well_formed {
        return Err(Skip::MalformedId);
    }
    match &invoice.quantity {
        None | Some(Value::Null) => {}
        Some(q) if q.as_u64() == Some(1) => {}
        Some(_) => return Err(Skip::BadQuantity),
    }
    let mut products = Vec::new();
    for id in &invoice.product_ids {
        match Product::from_id(id) {
            Some(product) if !products.contains(&product) => products.push(product),
            Some(_) => {}
            None => tracing::warn!(
                product = %id.chars().take(64).collect::<String>(),
                "a paid invoice for a product Banter does not sell"
            ),
        }
    }
    if products.is_empty() {
        return Err(Skip::NoKnownProduct);
    }
    Ok(PaidInvoice {
        stripe_id,
        products,
    })
}

/// Until when Pro is on: while Autumn lists it active, the paid period's end
/// (clamped between now and [`PRO_MAX_PERIOD`] ahead) plus
/// [`PRO_OFFLINE_GRACE`]; `None` when it is not active.
pub(crate) fn pro_until(products: &[CustomerProduct], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let active = products.iter().find(|p| {
        p.id.as_deref() == Some(Product::Pro.id())
            && matches!(p.status.as_deref(), Some("active" | "trialing"))
    })?;
    let end = period_end(active.current_period_end.as_ref(), now);
    Some(
        end.checked_add_signed(PRO_OFFLINE_GRACE)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// A period end in milliseconds, as a date no earlier than `now` and no
/// later than [`PRO_MAX_PERIOD`] ahead. Missing or unreadable reads as `now`.
fn period_end(raw: Option<&Value>, now: DateTime<Utc>) -> DateTime<Utc> {
    let latest = now
        .checked_add_signed(PRO_MAX_PERIOD)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let Some(Value::Number(millis)) = raw else {
        if raw.is_some_and(|v| !v.is_null()) {
            tracing::warn!("Autumn sent a Pro period end that is not a number");
        }
        return now;
    };
    if let Some(end) = millis.as_i64().and_then(DateTime::from_timestamp_millis) {
        return end.clamp(now, latest);
    }
    // Beyond what a date can hold (a huge integer or float): far future if
    // positive, so clamp it; anything else reads as unknown.
    if millis.as_u64().is_some() || millis.as_f64().is_some_and(|f| f > 0.0) {
        tracing::warn!("Autumn sent a Pro period end far in the future; clamped");
        latest
    } else {
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invoice(value: Value) -> Invoice {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn only_well_formed_paid_invoices_are_fulfilled() {
        let good =
            invoice(json!({"stripe_id": "in_1", "status": "paid", "product_ids": ["credits_500"]}));
        assert_eq!(
            check_invoice(&good),
            Ok(PaidInvoice {
                stripe_id: "in_1",
                products: vec![Product::Credits500]
            })
        );
        let table = [
            (
                json!({"stripe_id": "in_1", "status": "open", "product_ids": ["credits_500"]}),
                Skip::NotPaid,
            ),
            (
                json!({"stripe_id": "in_1", "product_ids": ["credits_500"]}),
                Skip::NotPaid,
            ),
            (
                json!({"stripe_id": null, "status": "paid", "product_ids": ["credits_500"]}),
                Skip::MissingId,
            ),
            (
                json!({"status": "paid", "product_ids": ["credits_500"]}),
                Skip::MissingId,
            ),
            (
                json!({"stripe_id": "  ", "status": "paid", "product_ids": ["credits_500"]}),
                Skip::MissingId,
            ),
            (
                json!({"stripe_id": "in:1", "status": "paid", "product_ids": ["credits_500"]}),
                Skip::MalformedId,
            ),
            (
                json!({"stripe_id": "i".repeat(MAX_INVOICE_ID_CHARS + 1), "status": "paid", "product_ids": ["credits_500"]}),
                Skip::MalformedId,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid", "quantity": 0, "product_ids": ["credits_500"]}),
                Skip::BadQuantity,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid", "quantity": -1, "product_ids": ["credits_500"]}),
                Skip::BadQuantity,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid", "quantity": 1.5, "product_ids": ["credits_500"]}),
                Skip::BadQuantity,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid", "quantity": "1", "product_ids": ["credits_500"]}),
                Skip::BadQuantity,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid", "quantity": 3, "product_ids": ["credits_500"]}),
                Skip::BadQuantity,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid", "product_ids": ["credits_999"]}),
                Skip::NoKnownProduct,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid", "product_ids": []}),
                Skip::NoKnownProduct,
            ),
            (
                json!({"stripe_id": "in_1", "status": "paid"}),
                Skip::NoKnownProduct,
            ),
        ];
        for (raw, skip) in table {
            assert_eq!(check_invoice(&invoice(raw.clone())), Err(skip), "{raw}");
        }
        // Quantity one (or none), a product listed twice: one grant each.
        let twice = invoice(json!({"stripe_id": "in_2", "status": "paid", "quantity": 1,
                                   "product_ids": ["credits_1000", "credits_1000", "nope"]}));
        assert_eq!(
            check_invoice(&twice).unwrap().products,
            vec![Product::Credits1000]
        );
    }

    #[test]
    fn any_period_end_gives_a_date_without_overflow() {
        let now = DateTime::from_timestamp(1_773_133_200, 0).unwrap(); // 2026-03-10
        let pro = |end: Value| {
            let product: CustomerProduct = serde_json::from_value(
                json!({"id": "pro", "status": "active", "current_period_end": end}),
            )
            .unwrap();
            pro_until(&[product], now).unwrap()
        };
        let in_ten_days = now + Span::days(10);
        assert_eq!(
            pro(json!(in_ten_days.timestamp_millis())),
            in_ten_days + PRO_OFFLINE_GRACE
        );
        let latest = now + PRO_MAX_PERIOD + PRO_OFFLINE_GRACE;
        for far in [
            json!(DateTime::<Utc>::MAX_UTC.timestamp_millis()),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1e300),
        ] {
            assert_eq!(pro(far.clone()), latest, "{far}");
        }
        for unknown in [
            json!(null),
            json!(i64::MIN),
            json!(-1e300),
            json!("soon"),
            json!(0),
        ] {
            assert_eq!(pro(unknown.clone()), now + PRO_OFFLINE_GRACE, "{unknown}");
        }
        let lapsed: CustomerProduct =
            serde_json::from_value(json!({"id": "pro", "status": "canceled"})).unwrap();
        assert_eq!(pro_until(&[lapsed], now), None);
    }
}
