//! Chat sessions and their messages: list, rename, delete, search, export —
//! on this computer, or on the server when signed in (read from this
//! computer's copy when the server cannot be reached).

use crate::hosted;
use crate::state::AppCore;
use crate::window_scope::QuickChatSessions;
use banter_core::chat::{ChatSession, ExportFormat, MessagePage, SearchHit, SessionPage};
use banter_core::ids::RecordRef;
use banter_core::{ApiError, ErrorCode};
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Manager, State, Window};

#[tauri::command]
#[specta::specta]
pub async fn list_sessions(
    core: State<'_, AppCore>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<SessionPage, ApiError> {
    let core = core.get().await?;
    match hosted::history(core).await? {
        Some(history) => Ok(history.sessions(cursor.as_deref(), limit).await?),
        None => Ok(core.chat().list_sessions(cursor.as_deref(), limit).await?),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn rename_session(
    core: State<'_, AppCore>,
    session_id: i64,
    title: String,
) -> Result<ChatSession, ApiError> {
    let (core, session) = (core.get().await?, RecordRef::Id(session_id));
    match hosted::history(core).await? {
        Some(history) => Ok(history.rename(&session, &title).await?),
        None => Ok(core.chat().rename_session(&session, &title).await?),
    }
}

/// One session as it is now (its title, count and settings): the main
/// window reads it before showing a chat's settings, which the list may
/// not hold (a chat opened from search) or hold as it was.
#[tauri::command]
#[specta::specta]
pub async fn get_session(
    core: State<'_, AppCore>,
    session_id: i64,
) -> Result<ChatSession, ApiError> {
    let (core, session) = (core.get().await?, RecordRef::Id(session_id));
    match hosted::history(core).await? {
        Some(history) => Ok(history.session(&session).await?),
        None => Ok(core.chat().get_session(&session).await?),
    }
}

/// Switches the session to the branch through `message_id` (another
/// version of an edited message or a regenerated reply): the conversation
/// shown, and sent to the model next, runs through it.
#[tauri::command]
#[specta::specta]
pub async fn switch_branch(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    window: Window,
    session_id: i64,
    message_id: i64,
) -> Result<ChatSession, ApiError> {
    scope.check(window.label(), session_id)?;
    let (core, session) = (core.get().await?, RecordRef::Id(session_id));
    match hosted::history(core).await? {
        Some(history) => Ok(history.switch_branch(&session, message_id).await?),
        None => Ok(core.chat().switch_branch(&session, message_id).await?),
    }
}

/// Deletes a session and its messages (the ledger keeps its rows).
#[tauri::command]
#[specta::specta]
pub async fn delete_session(
    core: State<'_, AppCore>,
    session_id: i64,
) -> Result<ChatSession, ApiError> {
    let (core, session) = (core.get().await?, RecordRef::Id(session_id));
    match hosted::history(core).await? {
        Some(history) => Ok(history.delete(&session).await?),
        None => Ok(core.chat().delete_session(&session).await?),
    }
}

/// A page of messages, oldest first, ending before message `before`. The
/// quick-chat window reads only its own conversations (it reloads one after
/// a failed reply), as it may only send into those.
#[tauri::command]
#[specta::specta]
pub async fn list_messages(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    window: Window,
    session_id: i64,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<MessagePage, ApiError> {
    scope.check(window.label(), session_id)?;
    let (core, session) = (core.get().await?, RecordRef::Id(session_id));
    if let Some(history) = hosted::history(core).await? {
        return Ok(history.messages(&session, before, limit).await?);
    }
    Ok(core.chat().list_messages(&session, before, limit).await?)
}

/// A file sent with a message, for the message list (an image's
/// thumbnail): its bytes as a `data:` URL the view's CSP allows.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentData {
    pub name: String,
    pub mime: String,
    pub data_url: String,
}

/// One attachment of a message of `session_id` (the window's scope covers
/// the session; the attachment must be in it, as the local store or the
/// account's copy says; the main window may also ask the server, which
/// checks it is the account's).
#[tauri::command]
#[specta::specta]
pub async fn get_attachment(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    window: Window,
    session_id: i64,
    attachment_id: i64,
) -> Result<AttachmentData, ApiError> {
    scope.check(window.label(), session_id)?;
    let core = core.get().await?;
    let attachment = match hosted::history(core).await? {
        // Quick chat only from the copy, where the session is checked.
        Some(history) => {
            let main_window = window.label() != crate::windows::QUICK_CHAT;
            history
                .attachment(session_id, attachment_id, main_window)
                .await?
        }
        None => {
            let (session, attachment) = core.chat().attachment(attachment_id).await?;
            if session != session_id {
                return Err(banter_core::Error::not_found("attachment", attachment_id).into());
            }
            attachment
        }
    };
    Ok(AttachmentData {
        data_url: attachment.data_url(),
        name: attachment.name,
        mime: attachment.mime,
    })
}

/// Full-text search over every message (signed in: the conversations this
/// computer holds a copy of).
#[tauri::command]
#[specta::specta]
pub async fn search_messages(
    core: State<'_, AppCore>,
    query: String,
    limit: Option<u32>,
) -> Result<Vec<SearchHit>, ApiError> {
    let core = core.get().await?;
    match hosted::history(core).await? {
        Some(history) => Ok(history.search(&query, limit).await?),
        None => Ok(core.chat().search(&query, limit).await?),
    }
}

/// Exports a session into the Downloads folder; returns the file's path.
#[tauri::command]
#[specta::specta]
pub async fn save_export(
    app: AppHandle,
    core: State<'_, AppCore>,
    session_id: i64,
    format: ExportFormat,
) -> Result<String, ApiError> {
    let (core, session) = (core.get().await?, RecordRef::Id(session_id));
    let file = match hosted::history(core).await? {
        Some(history) => history.export(&session, format).await?,
        None => core.chat().export(&session, format).await?,
    };
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().document_dir())
        .map_err(|e| io_error("no Downloads folder", &e))?;
    let path = free_path(&dir, &file.file_name);
    tokio::fs::write(&path, file.content.as_bytes())
        .await
        .map_err(|e| io_error(&format!("could not write {}", path.display()), &e))?;
    Ok(path.display().to_string())
}

/// `name`, or `name (2)`, `name (3)`… if taken: an export never overwrites.
fn free_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}).{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

fn io_error(what: &str, e: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::ExportFailed, format!("{what}: {e}"))
}
