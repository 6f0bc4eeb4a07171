//! Settings › Account, after signing in: the offer to import this
//! computer's local-mode history into the account, the import itself (its
//! progress on a channel) and, once it is complete, removing the imported
//! records from this computer. A thin door onto the core's
//! `HistoryImport`, which holds every rule (keys, batches, resumption).

use crate::state::AppCore;
use banter_core::hosted::{HostedError, ImportProgress, ImportReport, ImportStatus, RemovedLocal};
use banter_core::{ApiError, Core};
use tauri::ipc::Channel;
use tauri::State;

async fn importer(core: &Core) -> Result<banter_core::hosted::HistoryImport, ApiError> {
    core.history_import().await?.ok_or_else(|| {
        HostedError::NotSignedIn("sign in to import this computer's history".into()).into()
    })
}

/// What is left to import; `None` in local mode.
#[tauri::command]
#[specta::specta]
pub async fn import_status(core: State<'_, AppCore>) -> Result<Option<ImportStatus>, ApiError> {
    let Some(import) = core.get().await?.history_import().await? else {
        return Ok(None);
    };
    Ok(Some(import.status().await?))
}

/// Imports what is left, telling `on_progress` after each confirmed batch.
/// Cut off (offline), it keeps what was confirmed; calling it again goes on.
#[tauri::command]
#[specta::specta]
pub async fn import_local_history(
    core: State<'_, AppCore>,
    on_progress: Channel<ImportProgress>,
) -> Result<ImportReport, ApiError> {
    let import = importer(core.get().await?).await?;
    Ok(import
        .run(|progress| {
            // A window that closed stops hearing; the import goes on.
            let _ = on_progress.send(progress);
        })
        .await?)
}

/// Removes from this computer what the account confirmed and is unchanged.
#[tauri::command]
#[specta::specta]
pub async fn remove_imported_history(core: State<'_, AppCore>) -> Result<RemovedLocal, ApiError> {
    let import = importer(core.get().await?).await?;
    Ok(import.remove_imported().await?)
}
