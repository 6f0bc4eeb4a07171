//! `banter://` links: from the OS (a first launch with the link), and from a
//! second launch, which tauri-plugin-single-instance forwards to this one.
//! The core parses each link strictly: a sign-in answer
//! (`banter://auth/callback`) finishes the sign-in the app is waiting on,
//! a purchase return only ever reconciles (with Autumn locally, or through
//! the server when signed in). The raw URL never reaches the web UI or an
//! opener.

use crate::deep_link_registration;
use crate::events::{AccountChanged, PurchaseCheck};
use crate::hosted;
use crate::state::AppCore;
use crate::windows;
use banter_core::account::AuthorizationResponse;
use banter_core::billing::deep_link::{self, DeepLink};
use banter_core::hosted::{device_name, HostedClient};
use banter_core::ApiError;
use std::time::Duration;
use tauri::{AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_specta::Event;

/// While a pending checkout exists, Autumn is asked this often.
const PENDING_POLL: Duration = Duration::from_secs(10);

/// Listens for links and reconciles at start-up and while a checkout is
/// pending, so a lost return link loses no credits.
pub fn setup(app: &tauri::App) {
    let handle = app.handle().clone();
    deep_link_registration::register_if_uninstalled(&handle);
    {
        let handle = handle.clone();
        app.deep_link().on_open_url(move |event| {
            for url in event.urls() {
                handle_link(&handle, url.as_str());
            }
        });
    }
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            handle_link(&handle, url.as_str());
        }
    }
    tauri::async_runtime::spawn(reconcile_while_pending(handle));
}

fn handle_link(app: &AppHandle, raw: &str) {
    windows::show_main(app);
    match deep_link::parse(raw) {
        Ok(DeepLink::AuthCallback(answer)) => {
            // Never log the link: it carries the authorization code.
            tracing::info!(kind = "sign_in_answer", "a banter:// link arrived");
            let app = app.clone();
            tauri::async_runtime::spawn(async move { finish_sign_in(&app, answer).await });
        }
        _ => {
            tracing::info!(kind = "purchase_return", "a banter:// link arrived");
            check_purchase(app, raw)
        }
    }
}

/// The browser came back from the sign-in page: the core finishes the
/// attempt it is waiting on (only an answer with that attempt's `state`
/// does), and the UI hears how it went.
async fn finish_sign_in(app: &AppHandle, answer: AuthorizationResponse) {
    let state = app.state::<AppCore>();
    let result = match state.get().await {
        Ok(core) => core
            .hosted()
            .complete_app_sign_in(answer, &device_name("Banter"))
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    let event = match result {
        Ok(signed) => AccountChanged::signed_in(signed.account),
        Err(error) => {
            tracing::warn!(code = %error.code, "a sign-in answer was refused or failed");
            AccountChanged::failed(error)
        }
    };
    event.announce(app);
}

/// A purchase return: the local core reconciles with Autumn, or — signed
/// in — the server is asked to.
fn check_purchase(app: &AppHandle, raw: &str) {
    let app = app.clone();
    let raw = raw.to_string();
    tauri::async_runtime::spawn(async move {
        // A burst of the same link (double clicks) runs one check; the core's
        // claim is released when the check ends, however it ends.
        let check = match app.state::<AppCore>().get().await {
            Ok(core) => match core.billing().begin_link_check() {
                Some(check) => Ok(check),
                None => {
                    tracing::info!("a purchase check is already running");
                    return;
                }
            },
            Err(error) => Err(error),
        };
        let _ = PurchaseCheck::checking().emit(&app);
        let result = match check {
            Ok(check) => match hosted_client(&app).await {
                Ok(Some(client)) => client.handle_purchase_link(&raw).await.map_err(Into::into),
                Ok(None) => check.run(&raw).await.map_err(Into::into),
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        let event = match result {
            Ok(report) => {
                tracing::info!(
                    fulfilled = report.fulfilled.len(),
                    pending = report.pending.len(),
                    "purchase check finished"
                );
                PurchaseCheck::done(report)
            }
            Err(error) => {
                tracing::warn!(code = %error.code, "a banter:// link was refused or failed");
                PurchaseCheck::failed(error)
            }
        };
        let _ = event.emit(&app);
    });
}

async fn hosted_client(app: &AppHandle) -> Result<Option<HostedClient>, ApiError> {
    let state = app.state::<AppCore>();
    hosted::signed_in(state.get().await?).await
}

async fn reconcile_while_pending(app: AppHandle) {
    let mut first = true;
    loop {
        let state = app.state::<AppCore>();
        let Ok(core) = state.get().await else { return };
        if !core.billing().is_configured() {
            return;
        }
        let pending = core.billing().pending().await.map(|p| !p.is_empty());
        if first || pending.unwrap_or(false) {
            if let Err(error) = core.billing().reconcile().await {
                tracing::info!(code = %error.code(), "purchase check failed; will retry");
            }
        }
        first = false;
        tokio::time::sleep(PENDING_POLL).await;
    }
}
