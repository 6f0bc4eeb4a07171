//! Settings › Account: signing the app in to an operator's server through
//! the system browser (it comes back through `banter://auth/callback`, see
//! `crate::deep_link`), who is signed in, the account's devices, and
//! signing out (this device, or every other one) — all revoked on the server.

use crate::events::AccountChanged;
use crate::hosted;
use crate::state::AppCore;
use banter_core::hosted::{AtSignOut, Device, HostedAccount};
use banter_core::{ApiError, ErrorCode};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

/// The operator's server offered in the sign-in form, when set
/// (`make demo-hosted` sets it; a packaged build may too).
pub const ENV_SERVER_URL: &str = "BANTER_SERVER_URL";

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    /// The sign-in in force; `None` in local mode.
    pub account: Option<HostedAccount>,
    /// A sign-in is waiting for the browser.
    pub signing_in: bool,
    /// The server to offer in the sign-in form.
    pub suggested_server: Option<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn account_status(core: State<'_, AppCore>) -> Result<AccountStatus, ApiError> {
    let core = core.get().await?;
    Ok(AccountStatus {
        account: core.hosted().account().await?,
        signing_in: core.hosted().app_sign_in_pending(),
        suggested_server: std::env::var(ENV_SERVER_URL)
            .ok()
            .filter(|s| !s.trim().is_empty()),
    })
}

/// Starts signing in to the server at `server`: opens the provider's page
/// in the system browser. The answer comes back as a `banter://` link; the
/// UI hears how it went as an `AccountChanged` event.
#[tauri::command]
#[specta::specta]
pub async fn begin_sign_in(
    app: AppHandle,
    core: State<'_, AppCore>,
    server: String,
) -> Result<(), ApiError> {
    let page = core
        .get()
        .await?
        .hosted()
        .begin_app_sign_in(&server)
        .await?;
    app.opener()
        .open_url(page.as_str(), None::<&str>)
        .map_err(|e| {
            if let Some(Ok(core)) = core.ready() {
                core.hosted().cancel_app_sign_in();
            }
            ApiError::new(
                ErrorCode::OpenFailed,
                format!("could not open the sign-in page: {e}"),
            )
        })
}

/// Gives up the sign-in waiting for the browser.
#[tauri::command]
#[specta::specta]
pub fn cancel_sign_in(core: State<'_, AppCore>) -> Result<(), ApiError> {
    // A sign-in can only have begun once the core was open.
    if let Some(core) = core.ready() {
        core?.hosted().cancel_app_sign_in();
    }
    Ok(())
}

/// The account's devices (this one is `account.deviceId`).
#[tauri::command]
#[specta::specta]
pub async fn list_devices(core: State<'_, AppCore>) -> Result<Vec<Device>, ApiError> {
    let client = signed_in_client(core.get().await?).await?;
    Ok(client.devices().await?)
}

/// Signs this device out on the server and forgets it here; back to local
/// mode, whose data was never touched. `here_only` forgets it on this
/// computer without telling the server (which cannot be reached); `copy`
/// says whether this computer's copy of the account's history stays for
/// the next sign-in of the same account.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(
    app: AppHandle,
    core: State<'_, AppCore>,
    here_only: bool,
    copy: AtSignOut,
) -> Result<(), ApiError> {
    let client = signed_in_client(core.get().await?).await?;
    if here_only {
        client.sign_out_here_only_with(copy).await;
    } else {
        client.sign_out_with(copy).await?;
    }
    AccountChanged::signed_out().announce(&app);
    Ok(())
}

/// Signs every other device of the account out; returns how many.
#[tauri::command]
#[specta::specta]
pub async fn sign_out_other_devices(core: State<'_, AppCore>) -> Result<u32, ApiError> {
    let client = signed_in_client(core.get().await?).await?;
    let count = client.sign_out_others().await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

async fn signed_in_client(
    core: &banter_core::Core,
) -> Result<banter_core::hosted::HostedClient, ApiError> {
    hosted::signed_in(core)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotSignedIn, "this computer is not signed in"))
}
