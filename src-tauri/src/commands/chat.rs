//! Sending, stopping and regenerating — through the local engine, or the
//! server when signed in (its reply events are relayed the same way). The
//! core streams the reply's events
//! to the calling window over a `Channel` (ordered, just for this call);
//! every other window gets them as `CoreEvent`s (see `crate::events`), so
//! each window receives each event once.

use crate::hosted;
use crate::state::AppCore;
use crate::updates::ServerReplies;
use crate::window_scope::QuickChatSessions;
use banter_core::chat::{
    Attachment, AttachmentError, ChatMessage, ChatSession, ReplyListener, SendOutcome, SendRequest,
};
use banter_core::events::DomainEvent;
use banter_core::hosted::HostedSend;
use banter_core::ids::RecordRef;
use banter_core::ledger::Balance;
use banter_core::{ApiError, Core};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{State, Window};

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    /// `None` starts a new session.
    pub session_id: Option<i64>,
    pub content: String,
    /// Include recent projects and active tasks.
    pub include_context: bool,
    /// Same key, same send: a retried call never charges twice.
    pub idempotency_key: Option<String>,
    /// Send as another version of this user message (a branch); `None`
    /// continues the conversation.
    #[serde(default)]
    pub edit_of: Option<i64>,
    /// Files sent with the message; the core checks each (type by its
    /// bytes, size, the model's vision, the token budget) before paying.
    #[serde(default)]
    pub attachments: Vec<AttachmentUpload>,
}

/// A file from the composer: its name and its bytes in standard base64.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentUpload {
    pub name: String,
    pub data_base64: String,
}

/// The uploads as checked attachments; a bad one refuses the send.
fn checked(uploads: Vec<AttachmentUpload>) -> Result<Vec<Attachment>, ApiError> {
    // Counted before any is decoded.
    let max = banter_core::chat::attachments::MAX_ATTACHMENTS;
    if uploads.len() > max {
        return Err(banter_core::Error::from(AttachmentError::TooMany { max }).to_api());
    }
    uploads
        .into_iter()
        .map(|upload| {
            Attachment::from_base64(&upload.name, &upload.data_base64)
                .map_err(|e| banter_core::Error::from(e).to_api())
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    pub session: ChatSession,
    pub user_message: ChatMessage,
    pub reply: ChatMessage,
    pub balance: Balance,
}

impl From<SendOutcome> for SendResult {
    fn from(outcome: SendOutcome) -> Self {
        Self {
            session: outcome.session,
            user_message: outcome.user_message,
            reply: outcome.reply,
            balance: outcome.balance,
        }
    }
}

/// Sends a message (priced by the core) and streams the reply into `on_event`.
#[tauri::command]
#[specta::specta]
pub async fn send_message(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    relayed: State<'_, ServerReplies>,
    window: Window,
    request: SendMessageRequest,
    on_event: Channel<DomainEvent>,
) -> Result<SendResult, ApiError> {
    if let Some(id) = request.session_id {
        scope.check(window.label(), id)?;
    }
    // An edit names its session too, so the window's scope covers it (the
    // core checks the message is in that session).
    if request.edit_of.is_some() && request.session_id.is_none() {
        return Err(ApiError::new(
            banter_core::ErrorCode::InvalidInput,
            "an edited message is sent in the session it belongs to",
        ));
    }
    let attachments = checked(request.attachments)?;
    let listener = listener(&window, scope.inner(), on_event);
    let core = core.get().await?;
    let outcome = match hosted::history(core).await? {
        Some(history) => {
            let send = HostedSend {
                session: request.session_id.map(RecordRef::Id),
                content: request.content,
                include_context: request.include_context,
                idempotency_key: request.idempotency_key,
                edit_of: request.edit_of,
                attachments,
            };
            let relay = listener.relay_through(core.events().clone());
            let _counted = relayed.begin();
            let outcome = history.send(send, relay).await?;
            announce_balance(core, &outcome);
            outcome
        }
        None => {
            refresh_models(core).await;
            let send = SendRequest {
                session: request.session_id.map(RecordRef::Id),
                content: request.content,
                include_context: request.include_context,
                idempotency_key: request.idempotency_key,
                edit_of: request.edit_of,
                attachments,
            };
            core.chat_engine().send_to(send, listener).await?
        }
    };
    // The window that started a session may go on with it.
    scope.started(window.label(), outcome.session.id);
    Ok(outcome.into())
}

/// Stops the reply streaming in a session; false if none is.
#[tauri::command]
#[specta::specta]
pub async fn stop_reply(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    window: Window,
    session_id: i64,
) -> Result<bool, ApiError> {
    scope.check(window.label(), session_id)?;
    let core = core.get().await?;
    match hosted::signed_in(core).await? {
        Some(client) => Ok(client.stop(&session_id.to_string()).await?),
        None => Ok(core.chat_engine().stop_reply(session_id)),
    }
}

/// Answers the session's last message again (priced by the core); the new
/// reply is another version beside the old one.
#[tauri::command]
#[specta::specta]
pub async fn regenerate_reply(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    relayed: State<'_, ServerReplies>,
    window: Window,
    session_id: i64,
    include_context: bool,
    on_event: Channel<DomainEvent>,
) -> Result<SendResult, ApiError> {
    scope.check(window.label(), session_id)?;
    let listener = listener(&window, scope.inner(), on_event);
    let (core, session) = (core.get().await?, RecordRef::Id(session_id));
    let outcome = match hosted::history(core).await? {
        Some(history) => {
            let relay = listener.relay_through(core.events().clone());
            let _counted = relayed.begin();
            let outcome = history.regenerate(&session, include_context, relay).await?;
            announce_balance(core, &outcome);
            outcome
        }
        None => {
            refresh_models(core).await;
            core.chat_engine()
                .regenerate_to(&session, include_context, listener)
                .await?
        }
    };
    Ok(outcome.into())
}

/// A fresh idempotency key from the core's one generator
/// (`banter_core::idempotency`): the UI holds it for a send it may have to
/// repeat (one that failed before its reply started may have been taken),
/// so the repeat is never charged twice.
#[tauri::command]
#[specta::specta]
pub fn new_idempotency_key() -> String {
    banter_core::idempotency::new_key()
}

/// A send through the server changed the account's balance: every window
/// hears it as it would a local spend's.
fn announce_balance(core: &Core, outcome: &SendOutcome) {
    core.events().emit(DomainEvent::CreditsChanged {
        remaining: outcome.balance.remaining,
        total: outcome.balance.total,
    });
}

/// Hands a send's reply events to the calling window's channel. A reply
/// that starts in a new session lets the window stop it at once.
fn listener(
    window: &Window,
    scope: &QuickChatSessions,
    channel: Channel<DomainEvent>,
) -> ReplyListener {
    let (label, scope) = (window.label().to_string(), scope.clone());
    ReplyListener::new(window.label(), move |event| {
        if let DomainEvent::ReplyStarted { session_id, .. } = event {
            scope.started(&label, session_id);
        }
        if let Err(error) = channel.send(event) {
            tracing::debug!(%error, "the window that sent this message is gone");
        }
    })
}

/// Picks up models changed by another process on this profile (e.g.
/// `banter-cli models add`) before a local send; a damaged setting is logged
/// and the models in hand are used (the send says if the chat's is gone).
async fn refresh_models(core: &banter_core::Core) {
    if let Err(error) = core.refresh_models().await {
        tracing::warn!(code = %error.code(), "could not reread the models");
    }
}
