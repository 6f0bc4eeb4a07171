//! Sending through the server: the core's `ChatEngine` on Postgres, with the
//! operator's model. The server prices and spends (the client's idempotency
//! key carried through), streams the reply back (see [`super::reply_stream`])
//! and stores both messages; a reply whose client went away is finished all
//! the same.

use super::projects::projects_for;
use super::reply_stream;
use super::sessions::{chat_for, session_ref};
use crate::auth::Caller;
use crate::error::{HttpError, HttpResult};
use crate::instances;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use banter_core::chat::{attachments, Attachment, ChatEngine, SendRequest};
use banter_core::db::postgres::PgStore;
use banter_core::events::EventBus;
use banter_core::ErrorCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The caller's chat engine. Engines of one instance share its claims, so a
/// stop reaches the send it names, and a session answers one reply at a time
/// across instances (the core's claim rule).
fn engine_for(state: &AppState, caller: &Caller) -> ChatEngine<PgStore> {
    ChatEngine::new(
        chat_for(state, caller),
        Arc::new(projects_for(state, caller)),
        // Nobody listens to a bus on the server: each send's own listener
        // is its response stream.
        EventBus::default(),
        state.model.clone(),
        state.claims.clone(),
    )
}

/// Once a shutdown has begun, a new reply is refused (`server_not_ready`,
/// 503: the balancer sends the retry to another instance) rather than
/// started where it would be stopped at the end of the grace.
fn refuse_when_shutting_down(state: &AppState) -> HttpResult<()> {
    if state.replies.is_closed() {
        return Err(HttpError::new(
            ErrorCode::ServerNotReady,
            "this server is shutting down; send again",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendBody {
    /// `CH-…`; none starts a new session.
    pub session: Option<String>,
    pub content: String,
    #[serde(default)]
    pub include_context: bool,
    pub idempotency_key: Option<String>,
    /// Send as another version of this user message (its row id).
    pub edit_of: Option<i64>,
    /// Files sent with the message. Only their names and bytes are taken:
    /// each is checked again here ([`Attachment::new`]), whatever kind or
    /// type the client said it was.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// The largest `POST /v1/chat/send` body: every file a message may carry,
/// in base64, with room for the message and the JSON around them.
pub const MAX_SEND_BYTES: usize =
    attachments::MAX_MESSAGE_ATTACHMENT_BYTES / 3 * 4 + 4 + 1024 * 1024;

/// `POST /v1/chat/send`.
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<SendBody>,
) -> HttpResult<Response> {
    let attachments = body
        .attachments
        .into_iter()
        .map(|a| Attachment::new(&a.name, a.data))
        .collect::<Result<Vec<_>, _>>()
        .map_err(banter_core::Error::from)?;
    let request = SendRequest {
        session: body.session.as_deref().map(session_ref).transpose()?,
        content: body.content,
        include_context: body.include_context,
        idempotency_key: body.idempotency_key,
        edit_of: body.edit_of,
        attachments,
    };
    refuse_when_shutting_down(&state)?;
    let engine = engine_for(&state, &caller);
    reply_stream::respond(&state.replies, move |listener| async move {
        engine.send_to(request, listener).await
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegenerateBody {
    pub session: String,
    #[serde(default)]
    pub include_context: bool,
}

/// `POST /v1/chat/regenerate`: answers the session's last message again.
pub async fn regenerate(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<RegenerateBody>,
) -> HttpResult<Response> {
    let session = session_ref(&body.session)?;
    refuse_when_shutting_down(&state)?;
    let engine = engine_for(&state, &caller);
    reply_stream::respond(&state.replies, move |listener| async move {
        engine
            .regenerate_to(&session, body.include_context, listener)
            .await
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct StopBody {
    pub session: String,
}

#[derive(Debug, Serialize)]
pub struct Stopping {
    /// Whether a reply was streaming in the session to be stopped.
    pub streaming: bool,
}

/// `POST /v1/chat/stop`: stops the reply streaming in a session, on
/// whichever instance streams it.
pub async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<StopBody>,
) -> HttpResult<Json<Stopping>> {
    let session = chat_for(&state, &caller)
        .get_session(&session_ref(&body.session)?)
        .await?;
    if state.claims.stop(session.id) {
        return Ok(Json(Stopping { streaming: true }));
    }
    let streaming = chat_for(&state, &caller).is_answering(session.id).await?;
    if streaming {
        instances::request_stop(state.store.pool(), session.id).await?;
    }
    Ok(Json(Stopping { streaming }))
}
