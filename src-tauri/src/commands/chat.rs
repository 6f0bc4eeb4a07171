//! Sending, stopping and regenerating. The reply streams to the caller over
//! a `Channel` (ordered, just for this call); the same events also reach
//! every window as `CoreEvent`s, so other windows stay in sync.

use crate::state::AppCore;
use crate::window_scope::QuickChatSessions;
use banter_core::chat::{ChatMessage, ChatSession, SendOutcome, SendRequest};
use banter_core::events::DomainEvent;
use banter_core::ids::RecordRef;
use banter_core::ledger::Balance;
use banter_core::validate::{required_text, MAX_MESSAGE_CHARS};
use banter_core::{ApiError, Core};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{State, Window};
use tokio::sync::{broadcast, oneshot};

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
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    pub session: ChatSession,
    pub user_message: ChatMessage,
    pub reply: ChatMessage,
    pub balance: Balance,
}

/// Sends a message (3 credits) and streams the reply into `on_event`.
#[tauri::command]
#[specta::specta]
pub async fn send_message(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    window: Window,
    request: SendMessageRequest,
    on_event: Channel<DomainEvent>,
) -> Result<SendResult, ApiError> {
    let core = core.get()?;
    // Checked before a new session is made for it.
    required_text("message", &request.content, MAX_MESSAGE_CHARS)
        .map_err(|e| banter_core::Error::from(e).to_api())?;
    let (session_id, is_new) = match request.session_id {
        Some(id) => {
            scope.check(window.label(), id)?;
            (id, false)
        }
        None => {
            let id = core.chat().create_session(None).await?.id;
            // The window that started a session may go on with it.
            scope.started(window.label(), id);
            (id, true)
        }
    };
    let relay = Relay::start(core, session_id, on_event);
    let sent = core
        .engine()
        .send(SendRequest {
            session: RecordRef::Id(session_id),
            content: request.content,
            include_context: request.include_context,
            idempotency_key: request.idempotency_key,
        })
        .await;
    relay.finish().await;
    match sent {
        Ok(outcome) => result(core, outcome).await,
        Err(error) => {
            if is_new {
                discard_if_empty(core, session_id).await;
            }
            Err(error.into())
        }
    }
}

/// Stops the reply streaming in a session; false if none is.
#[tauri::command]
#[specta::specta]
pub fn stop_generation(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    window: Window,
    session_id: i64,
) -> Result<bool, ApiError> {
    scope.check(window.label(), session_id)?;
    Ok(core.get()?.engine().stop(session_id))
}

/// Replaces the session's last reply with a new one (3 credits).
#[tauri::command]
#[specta::specta]
pub async fn regenerate_reply(
    core: State<'_, AppCore>,
    scope: State<'_, QuickChatSessions>,
    window: Window,
    session_id: i64,
    include_context: bool,
    on_event: Channel<DomainEvent>,
) -> Result<SendResult, ApiError> {
    scope.check(window.label(), session_id)?;
    let core = core.get()?;
    let relay = Relay::start(core, session_id, on_event);
    let outcome = core
        .engine()
        .regenerate(&RecordRef::Id(session_id), include_context)
        .await;
    relay.finish().await;
    result(core, outcome?).await
}

async fn result(core: &Core, outcome: SendOutcome) -> Result<SendResult, ApiError> {
    Ok(SendResult {
        session: outcome.session,
        user_message: outcome.user_message,
        reply: outcome.reply,
        balance: core.balance().await?,
    })
}

/// A session made for a send that then failed (no credits, no model) would
/// sit empty in the history: remove it.
async fn discard_if_empty(core: &Core, session_id: i64) {
    let session = RecordRef::Id(session_id);
    if let Ok(found) = core.chat().get_session(&session).await {
        if found.message_count == 0 {
            if let Err(error) = core.chat().delete_session(&session).await {
                tracing::warn!(code = %error.code(), "could not remove an empty session");
            }
        }
    }
}

/// Copies one session's reply events from the core's broadcast into the
/// caller's channel while a send runs.
struct Relay {
    done: oneshot::Sender<()>,
    task: tauri::async_runtime::JoinHandle<()>,
}

impl Relay {
    /// Subscribes before the send starts, so no event is missed.
    fn start(core: &Core, session_id: i64, channel: Channel<DomainEvent>) -> Self {
        let mut events = core.events().subscribe();
        let (done, mut finished) = oneshot::channel();
        let task = tauri::async_runtime::spawn(async move {
            loop {
                tokio::select! {
                    biased;
                    event = events.recv() => match event {
                        Ok(event) => forward(&channel, session_id, event),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "reply events lagged behind");
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    _ = &mut finished => {
                        // The send has returned: pass on what is already queued.
                        while let Ok(event) = events.try_recv() {
                            forward(&channel, session_id, event);
                        }
                        break;
                    }
                }
            }
        });
        Self { done, task }
    }

    async fn finish(self) {
        let _ = self.done.send(());
        let _ = self.task.await;
    }
}

fn forward(channel: &Channel<DomainEvent>, session_id: i64, event: DomainEvent) {
    let ours = match &event {
        DomainEvent::ReplyStarted { session_id: s, .. }
        | DomainEvent::ReplyDelta { session_id: s, .. }
        | DomainEvent::ReplyUsage { session_id: s, .. }
        | DomainEvent::ReplyFinished { session_id: s, .. }
        | DomainEvent::ReplyFailed { session_id: s, .. } => *s == session_id,
        DomainEvent::CreditsChanged { .. }
        | DomainEvent::CreditsLow { .. }
        | DomainEvent::PurchaseFulfilled { .. } => false,
    };
    if ours {
        if let Err(error) = channel.send(event) {
            tracing::debug!(%error, "the window that sent this message is gone");
        }
    }
}
