//! The chat models: the picker's list (this computer's models, or the
//! operator's when signed in) and Settings' list of this computer's models
//! to add, change, remove and choose the default from. Keys go to the OS
//! keyring inside the core; the UI only learns whether one is stored.

use crate::hosted;
use crate::state::AppCore;
use banter_core::models::{ConfiguredModel, ModelInput};
use banter_core::providers::ModelSummary;
use banter_core::ApiError;
use tauri::State;

/// The models a chat can be answered by, the default marked.
#[tauri::command]
#[specta::specta]
pub async fn list_models(core: State<'_, AppCore>) -> Result<Vec<ModelSummary>, ApiError> {
    let core = core.get().await?;
    match hosted::signed_in(core).await? {
        Some(client) => Ok(client.models().await?),
        None => Ok(core.model_choices().await?),
    }
}

/// This computer's models as Settings shows them (local mode's models).
#[tauri::command]
#[specta::specta]
pub async fn configured_models(core: State<'_, AppCore>) -> Result<Vec<ConfiguredModel>, ApiError> {
    Ok(core.get().await?.configured_models().await?)
}

/// Adds a model, or changes one (`previous_name`; a rename moves its chats).
#[tauri::command]
#[specta::specta]
pub async fn save_model(
    core: State<'_, AppCore>,
    input: ModelInput,
) -> Result<Vec<ConfiguredModel>, ApiError> {
    Ok(core.get().await?.save_model(input).await?)
}

/// Removes a model; its chats are answered by the default from then on.
#[tauri::command]
#[specta::specta]
pub async fn delete_model(
    core: State<'_, AppCore>,
    name: String,
) -> Result<Vec<ConfiguredModel>, ApiError> {
    Ok(core.get().await?.delete_model(&name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_default_model(
    core: State<'_, AppCore>,
    name: String,
) -> Result<Vec<ConfiguredModel>, ApiError> {
    Ok(core.get().await?.set_default_model(&name).await?)
}
