//! Buying credits and Pro. The core (or, signed in, the server) opens
//! checkouts and grants credits only from what Autumn reports as paid; the shell opens the (checked) payment
//! page in the system browser.

use crate::hosted;
use crate::state::AppCore;
use banter_core::billing::checkouts::PendingCheckout;
use banter_core::billing::{Checkout, Product, ProductInfo, ReconcileReport};
use banter_core::{ApiError, ErrorCode};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseStatus {
    /// False when no Autumn key is set: the pricing page says so.
    pub configured: bool,
    pub pending: Vec<PendingCheckout>,
}

/// The packs and Pro, with prices and credits.
#[tauri::command]
#[specta::specta]
pub fn list_products() -> Result<Vec<ProductInfo>, ApiError> {
    Ok(Product::ALL.into_iter().map(Product::info).collect())
}

#[tauri::command]
#[specta::specta]
pub async fn purchase_status(core: State<'_, AppCore>) -> Result<PurchaseStatus, ApiError> {
    let core = core.get().await?;
    if let Some(client) = hosted::signed_in(core).await? {
        // The server holds the Autumn key; whether it sells is its answer.
        return Ok(PurchaseStatus {
            configured: true,
            pending: client.pending_checkouts().await?,
        });
    }
    Ok(PurchaseStatus {
        configured: core.billing().is_configured(),
        pending: core.billing().pending().await?,
    })
}

/// Opens a checkout for `product` in the system browser; credits come when
/// Autumn reports the payment (the return link, start-up, or polling).
#[tauri::command]
#[specta::specta]
pub async fn start_checkout(
    app: AppHandle,
    core: State<'_, AppCore>,
    product: Product,
) -> Result<Checkout, ApiError> {
    let core = core.get().await?;
    let checkout = match hosted::signed_in(core).await? {
        Some(client) => client.checkout(product).await?,
        None => core.billing().checkout(product).await?,
    };
    if let Some(url) = &checkout.url {
        app.opener().open_url(url, None::<&str>).map_err(|e| {
            ApiError::new(
                ErrorCode::OpenFailed,
                format!("could not open the checkout page: {e}"),
            )
        })?;
    }
    Ok(checkout)
}

/// Asks Autumn now what has been paid (the "I've paid" button).
#[tauri::command]
#[specta::specta]
pub async fn sync_purchases(core: State<'_, AppCore>) -> Result<ReconcileReport, ApiError> {
    let core = core.get().await?;
    match hosted::signed_in(core).await? {
        Some(client) => Ok(client.refresh_purchases().await?),
        None => Ok(core.billing().reconcile().await?),
    }
}
