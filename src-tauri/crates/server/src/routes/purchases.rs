//! Buying credits and Pro through the server, which holds the Autumn secret:
//! open a checkout, list the open ones, and refresh (reconcile) — what the
//! app does when `banter://purchase/complete` comes back. The core's
//! `Billing` does the work, on the account's ledger in Postgres; credits are
//! granted only from invoices Autumn reports paid, once per invoice.

use crate::accounts;
use crate::auth::Caller;
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use banter_core::billing::checkouts::PendingCheckout;
use banter_core::billing::{Billing, Checkout, Product, ReconcileReport};
use banter_core::db::postgres::PgStore;
use banter_core::events::EventBus;
use banter_core::secrets::NoSecrets;
use banter_core::users::Profile;
use banter_core::ErrorCode;
use serde::Deserialize;
use std::sync::Arc;

/// The caller's purchases, on the server's Autumn client.
async fn billing_for(state: &AppState, user_id: &str) -> HttpResult<Billing<PgStore>> {
    let profile = accounts::profile(state, user_id)
        .await?
        .ok_or_else(|| banter_core::Error::not_found("account", user_id))?;
    billing_of(state, profile)
}

/// `profile`'s purchases, on the server's Autumn client.
pub fn billing_of(state: &AppState, profile: Profile) -> HttpResult<Billing<PgStore>> {
    let client = state.autumn.clone().ok_or_else(|| {
        HttpError::new(
            ErrorCode::BillingNotConfigured,
            "purchases are off on this server",
        )
    })?;
    // The server's key is the client's; no keyring is asked.
    let billing = Billing::new(
        state.store.clone(),
        state.ledger.clone(),
        state.clock.clone(),
        EventBus::default(),
        profile,
        Arc::new(NoSecrets),
    );
    billing.connect_client(client);
    Ok(billing)
}

#[derive(Debug, Deserialize)]
pub struct CheckoutRequest {
    pub product: Product,
}

pub async fn checkout(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CheckoutRequest>,
) -> HttpResult<Json<Checkout>> {
    let billing = billing_for(&state, &caller.user_id).await?;
    Ok(Json(billing.checkout(req.product).await?))
}

pub async fn pending(
    State(state): State<AppState>,
    caller: Caller,
) -> HttpResult<Json<Vec<PendingCheckout>>> {
    let billing = billing_for(&state, &caller.user_id).await?;
    Ok(Json(billing.pending().await?))
}

pub async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
) -> HttpResult<Json<ReconcileReport>> {
    let billing = billing_for(&state, &caller.user_id).await?;
    Ok(Json(billing.reconcile().await?))
}
