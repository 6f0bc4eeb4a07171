//! The account's chat sessions and their messages: list, start, read,
//! rename, delete, export. The core's `ChatStore` on Postgres does the work;
//! every call is scoped to the caller's account, so another account's
//! session is simply not found (its existence is not revealed).

use crate::auth::Caller;
use crate::error::HttpResult;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use banter_core::chat::{
    Attachment, ChatSession, ChatStore, ExportFormat, ExportedFile, MessagePage, PgJournal,
    SessionPage, SessionSettings,
};
use banter_core::db::postgres::PgStore;
use banter_core::ids::{IdKind, RecordRef};
use banter_core::providers::ReasoningEffort;
use serde::Deserialize;

/// The caller's sessions and messages.
pub fn chat_for(state: &AppState, caller: &Caller) -> ChatStore<PgStore> {
    ChatStore::new(
        state.store.clone(),
        state.clock.clone(),
        state.ledger.clone(),
        caller.user_id.clone(),
        PgJournal::new(state.store.pool().clone()),
    )
}

pub fn session_ref(raw: &str) -> HttpResult<RecordRef> {
    Ok(RecordRef::parse(IdKind::ChatSession, raw).map_err(banter_core::Error::from)?)
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> HttpResult<Json<SessionPage>> {
    let chat = chat_for(&state, &caller);
    Ok(Json(
        chat.list_sessions(q.cursor.as_deref(), q.limit).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct NewSession {
    pub title: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<NewSession>,
) -> HttpResult<Json<ChatSession>> {
    let chat = chat_for(&state, &caller);
    Ok(Json(chat.create_session(req.title.as_deref()).await?))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Json<ChatSession>> {
    let chat = chat_for(&state, &caller);
    Ok(Json(chat.get_session(&session_ref(&id)?).await?))
}

#[derive(Debug, Deserialize)]
pub struct Rename {
    pub title: String,
}

pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<Rename>,
) -> HttpResult<Json<ChatSession>> {
    let chat = chat_for(&state, &caller);
    Ok(Json(
        chat.rename_session(&session_ref(&id)?, &req.title).await?,
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Json<ChatSession>> {
    let chat = chat_for(&state, &caller);
    Ok(Json(chat.delete_session(&session_ref(&id)?).await?))
}

/// The body of `PUT /v1/sessions/{id}/settings`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsBody {
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Absent: the chat keeps its model (clients from before named models
    /// send none, and must not reset it); `null`: the default model; a
    /// name: that model.
    #[serde(default, deserialize_with = "present")]
    pub model: Option<Option<String>>,
}

/// A field that is present (even as `null`) is `Some`; an absent one stays
/// `None` through `#[serde(default)]`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// `PUT /v1/sessions/{id}/settings`: the chat's model, system prompt and
/// reasoning effort (the core's `set_session_settings`); the next send on
/// any device uses them, and the change feed carries the session. A model
/// the operator has not configured is refused (`model_not_found`), unless
/// it is the one the chat already has (its prompt may change although its
/// model was removed since).
pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<SettingsBody>,
) -> HttpResult<Json<ChatSession>> {
    let chat = chat_for(&state, &caller);
    let session = session_ref(&id)?;
    let Some(model) = body.model else {
        let settings = SessionSettings {
            system_prompt: body.system_prompt,
            reasoning_effort: body.reasoning_effort,
            model: None,
        };
        return Ok(Json(
            chat.set_session_settings_keeping_model(&session, settings)
                .await?,
        ));
    };
    let settings = SessionSettings {
        system_prompt: body.system_prompt,
        reasoning_effort: body.reasoning_effort,
        model,
    }
    .checked()
    .map_err(banter_core::Error::from)?;
    if let Some(model) = &settings.model {
        if chat.get_session(&session).await?.model.as_ref() != Some(model) {
            state
                .model
                .check_name(model)
                .map_err(banter_core::Error::from)?;
        }
    }
    Ok(Json(chat.set_session_settings(&session, settings).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchBranch {
    /// A message of the session: the active path will run through it.
    pub message_id: i64,
}

/// `POST /v1/sessions/{id}/branch`: makes the path through a message the
/// session's active branch (the core's `switch_branch`).
pub async fn branch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<SwitchBranch>,
) -> HttpResult<Json<ChatSession>> {
    let session = chat_for(&state, &caller)
        .switch_branch(&session_ref(&id)?, body.message_id)
        .await?;
    Ok(Json(session))
}

#[derive(Debug, Deserialize)]
pub struct MessagesQuery {
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> HttpResult<Json<MessagePage>> {
    let chat = chat_for(&state, &caller);
    Ok(Json(
        chat.list_messages(&session_ref(&id)?, q.before, q.limit)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub format: ExportFormat,
}

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> HttpResult<Json<ExportedFile>> {
    let chat = chat_for(&state, &caller);
    Ok(Json(chat.export(&session_ref(&id)?, q.format).await?))
}

/// `GET /v1/attachments/{id}`: one of the caller's attachments with its
/// bytes (base64 in `data`), for a device showing a message sent elsewhere.
pub async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Json<Attachment>> {
    let id: i64 = id.parse().map_err(|_| {
        banter_core::Error::from(banter_core::validate::ValidationError::Invalid {
            field: "id",
            reason: "an attachment id is a number".into(),
        })
    })?;
    let chat = chat_for(&state, &caller);
    Ok(Json(chat.attachment(id).await?.1))
}
