//! A chat's own settings (system prompt, reasoning effort) and the saved
//! personas to start a chat from. The settings are the session's: on this
//! computer, or on the server when signed in (so every device sends them).
//! Personas stay on this computer in both modes.

use crate::hosted;
use crate::state::AppCore;
use banter_core::chat::{ChatSession, SessionSettings};
use banter_core::ids::RecordRef;
use banter_core::personas::{NewPersona, Persona};
use banter_core::ApiError;
use tauri::State;

/// Replaces the settings of session `session_id`; with none, starts a new
/// (empty) session with them: a chat started from a persona.
#[tauri::command]
#[specta::specta]
pub async fn set_session_settings(
    core: State<'_, AppCore>,
    session_id: Option<i64>,
    settings: SessionSettings,
) -> Result<ChatSession, ApiError> {
    let core = core.get().await?;
    // Refused before a session is started for it.
    let settings = settings.checked().map_err(banter_core::Error::from)?;
    match hosted::history(core).await? {
        Some(history) => {
            let Some(id) = session_id else {
                let id = RecordRef::Id(history.create_session(None).await?.id);
                let set = history.set_settings(&id, settings).await;
                if set.is_err() {
                    // Nothing to keep: the chat was started only for them.
                    discarded(history.delete(&id).await.map(drop));
                }
                return Ok(set?);
            };
            Ok(history.set_settings(&RecordRef::Id(id), settings).await?)
        }
        None => {
            let chat = core.chat();
            let current = match session_id {
                Some(id) => chat.get_session(&RecordRef::Id(id)).await?.model,
                None => None,
            };
            core.check_session_model(current.as_deref(), &settings)
                .await?;
            let Some(id) = session_id else {
                let id = RecordRef::Id(chat.create_session(None).await?.id);
                let set = chat.set_session_settings(&id, settings).await;
                if set.is_err() {
                    discarded(chat.delete_session(&id).await.map(drop));
                }
                return Ok(set?);
            };
            Ok(chat
                .set_session_settings(&RecordRef::Id(id), settings)
                .await?)
        }
    }
}

/// Logs a chat started for settings that could not be removed again (an
/// empty chat left behind is harmless).
fn discarded(removed: Result<(), banter_core::Error>) {
    if let Err(error) = removed {
        tracing::warn!(code = %error.code(), "could not remove an empty chat");
    }
}

/// This computer's personas, by name.
#[tauri::command]
#[specta::specta]
pub async fn list_personas(core: State<'_, AppCore>) -> Result<Vec<Persona>, ApiError> {
    Ok(core.get().await?.personas().await?)
}

/// Saves a persona (one of the same name, ignoring case, is replaced).
#[tauri::command]
#[specta::specta]
pub async fn save_persona(
    core: State<'_, AppCore>,
    persona: NewPersona,
) -> Result<Persona, ApiError> {
    Ok(core.get().await?.save_persona(persona).await?)
}

/// Deletes a persona; chats started from it keep their settings.
#[tauri::command]
#[specta::specta]
pub async fn delete_persona(core: State<'_, AppCore>, name: String) -> Result<Persona, ApiError> {
    Ok(core.get().await?.delete_persona(&name).await?)
}
