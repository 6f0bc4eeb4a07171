//! Offering and installing a signed update (see `crate::updates`). The
//! install waits until no reply streams and no checkout is pending, then
//! restarts the app into the new version; its data stays where it is, and
//! the new version migrates it (with its backup) at start as any upgrade.

use crate::state::AppCore;
use crate::updates::{
    configured_endpoint, current_blockers, download_verified, install_verified, may_install,
    CheckOutcome, InstallBlockers, ServerReplies, UpdateChecker, UpdateError, UpdateOffer,
};
use banter_core::ApiError;
use tauri::{AppHandle, State};

/// Asks the update server whether a newer version exists; `None` when not
/// (a downgrade is never offered).
#[tauri::command]
#[specta::specta]
pub async fn check_for_update(app: AppHandle) -> Result<Option<UpdateOffer>, ApiError> {
    match checker(&app)?.check().await? {
        CheckOutcome::Offered(offer, _) => Ok(Some(offer)),
        CheckOutcome::NotNewer { .. } | CheckOutcome::NoUpdate => Ok(None),
    }
}

/// What an install would interrupt now (the UI disables its button and
/// says why; [`install_update`] checks again itself).
#[tauri::command]
#[specta::specta]
pub async fn update_blockers(
    core: State<'_, AppCore>,
    relayed: State<'_, ServerReplies>,
) -> Result<InstallBlockers, ApiError> {
    current_blockers(core.get().await?, &relayed).await
}

/// Downloads `version` (the one [`check_for_update`] offered), verifies it
/// against the app's key, installs it and restarts. Refused while a reply
/// streams or a checkout is pending — checked before the download and again
/// after it, since a reply may have started meanwhile.
#[tauri::command]
#[specta::specta]
pub async fn install_update(
    app: AppHandle,
    core: State<'_, AppCore>,
    relayed: State<'_, ServerReplies>,
    version: String,
) -> Result<(), ApiError> {
    let core = core.get().await?;
    may_install(current_blockers(core, &relayed).await?)?;
    let update = match checker(&app)?.check().await? {
        CheckOutcome::Offered(offer, update) if offer.version == version => update,
        _ => return Err(UpdateError::NotOffered { asked: version }.into()),
    };
    let bytes = download_verified(&update).await?;
    may_install(current_blockers(core, &relayed).await?)?;
    tauri::async_runtime::spawn_blocking(move || install_verified(&update, &bytes))
        .await
        .map_err(|error| UpdateError::InstallFailed(error.to_string()))??;
    tracing::info!(%version, "update installed; restarting into it");
    app.restart()
}

fn checker(app: &AppHandle) -> Result<UpdateChecker<tauri::Wry>, UpdateError> {
    let configured = configured_endpoint(app.config());
    UpdateChecker::from_config(app, configured.as_deref())
}
