//! The chat model settings and the quick-chat shortcut. Keys go to the OS
//! keyring inside the core; the UI only ever learns "configured: yes/no".

use crate::shortcut;
use crate::state::AppCore;
use banter_core::model_settings::{ConnectionCheck, ProviderSettings, ProviderSettingsInput};
use banter_core::ApiError;
use tauri::{AppHandle, Manager, State};

#[tauri::command]
#[specta::specta]
pub async fn get_provider_settings(core: State<'_, AppCore>) -> Result<ProviderSettings, ApiError> {
    Ok(core.get().await?.provider_settings().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_provider_settings(
    core: State<'_, AppCore>,
    input: ProviderSettingsInput,
) -> Result<ProviderSettings, ApiError> {
    Ok(core.get().await?.save_provider_settings(input).await?)
}

/// A one-line request to the model called `name`, or the default
/// (costs no credits).
#[tauri::command]
#[specta::specta]
pub async fn test_connection(
    core: State<'_, AppCore>,
    name: Option<String>,
) -> Result<ConnectionCheck, ApiError> {
    Ok(core.get().await?.check_connection(name.as_deref()).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_shortcut(core: State<'_, AppCore>) -> Result<String, ApiError> {
    Ok(core.get().await?.settings().quick_chat_shortcut().await?)
}

/// Registers the new quick-chat shortcut with the OS first, then saves it.
#[tauri::command]
#[specta::specta]
pub async fn set_shortcut(
    app: AppHandle,
    core: State<'_, AppCore>,
    shortcut: String,
) -> Result<String, ApiError> {
    let changes = app.state::<shortcut::Changes>();
    let _turn = changes.turn().await;
    let core = core.get().await?;
    let old = core.settings().quick_chat_shortcut().await?;
    shortcut::replace(&app, &old, shortcut.trim())?;
    Ok(core.settings().set_quick_chat_shortcut(&shortcut).await?)
}
