//! `POST /v1/webhooks/autumn`: Autumn (through Svix) says a customer's
//! products or billing changed. The delivery is verified over its raw body
//! (signature, and a timestamp within the core's tolerance), and then only
//! makes the server reconcile that customer with Autumn — the webhook grants
//! nothing itself, and a paid invoice is granted once however often it is
//! announced. Deliveries are remembered by `svix-id`, so a redelivery is
//! acknowledged without asking Autumn again.

use super::purchases::billing_of;
use crate::accounts;
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use banter_core::billing::{BillingError, VerifiedWebhook};
use banter_core::ErrorCode;
use serde::Serialize;

/// Largest delivery read; Autumn's events are a few kilobytes.
pub const MAX_WEBHOOK_BYTES: usize = 256 * 1024;

/// What the endpoint did with a delivery (for logs and tests; Svix only
/// looks at the status).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Handled {
    /// The customer was reconciled; `fulfilled` purchases were granted now.
    Reconciled { fulfilled: usize },
    /// This `svix-id` was handled before.
    Duplicate,
    /// Nothing to do: an event type Banter ignores, or a customer that is
    /// no account here.
    Ignored,
}

pub async fn autumn(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<Json<Handled>> {
    let verifier = state.webhooks.clone().ok_or_else(|| {
        HttpError::new(
            ErrorCode::BillingNotConfigured,
            "webhooks are off on this server",
        )
    })?;
    let webhook = verifier
        .verify(&headers, &body)
        .map_err(|e| HttpError::from(banter_core::Error::from(BillingError::from(e))))?;
    if already_handled(&state, &webhook.id).await? {
        return Ok(Json(Handled::Duplicate));
    }
    let handled = handle(&state, &webhook).await?;
    // Remembered only once handled: a failure above answers 5xx, and Svix
    // delivers again later.
    sqlx::query(
        "INSERT INTO processed_webhooks (svix_id, event_type, received_at) VALUES ($1, $2, $3)
         ON CONFLICT (svix_id) DO NOTHING",
    )
    .bind(&webhook.id)
    .bind(webhook.event.event_type())
    .bind(state.clock.now())
    .execute(state.store.pool())
    .await?;
    Ok(Json(handled))
}

async fn already_handled(state: &AppState, svix_id: &str) -> HttpResult<bool> {
    let seen: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM processed_webhooks WHERE svix_id = $1")
            .bind(svix_id)
            .fetch_optional(state.store.pool())
            .await?;
    Ok(seen.is_some())
}

async fn handle(state: &AppState, webhook: &VerifiedWebhook) -> HttpResult<Handled> {
    let Some(customer) = webhook.event.customer() else {
        tracing::info!(
            event = webhook.event.event_type(),
            "webhook acknowledged; nothing to do"
        );
        return Ok(Handled::Ignored);
    };
    // The Autumn customer id is the account id.
    let Some(profile) = accounts::profile(state, customer.as_str()).await? else {
        tracing::warn!(
            event = webhook.event.event_type(),
            "webhook for a customer with no account here"
        );
        return Ok(Handled::Ignored);
    };
    let report = billing_of(state, profile)?.reconcile().await?;
    tracing::info!(
        event = webhook.event.event_type(),
        fulfilled = report.fulfilled.len(),
        "webhook reconciled"
    );
    Ok(Handled::Reconciled {
        fulfilled: report.fulfilled.len(),
    })
}
