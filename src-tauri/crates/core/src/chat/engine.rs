//! Sending a chat message and streaming the reply.
//!
//! validate → pay and save the user message (one transaction) → open the
//! reply (`streaming`) → send the developer prompt, the last 10 messages and
//! (if asked) the user's projects and tasks → stream, saving and announcing
//! text in batches of at most 50 ms or 10 tokens → finish with token counts.
//! A failure before any text refunds the send; a reply that had text when it
//! was stopped or cut off is kept and charged once. A reply whose text
//! cannot be saved to its journal ends at once, refunded, keeping the text
//! already shown (see [`JournalError`]).

use super::error::ChatError;
use super::journal::{JournalError, JournalWriter};
use super::replies::{insert_reply, ReplyEnd};
use super::{ChatMessage, ChatSession, ChatStore, MessageStatus, MESSAGE_COLUMNS};
use crate::context::{context_block, CONTEXT_TOKEN_BUDGET};
use crate::error::{Error, ErrorCode, Result};
use crate::events::{DomainEvent, EventBus};
use crate::ids::RecordRef;
use crate::ledger::{Action, LedgerEntry, SpendRequest, Spent};
use crate::liveness::{self, OwnerLock};
use crate::projects::ProjectStore;
use crate::providers::{ChatProvider, FinishReason, ProviderError, ProviderEvent, TokenUsage};
use crate::tokens;
use crate::validate::{required_text, MAX_MESSAGE_CHARS};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// A batch of reply text is saved and announced after this long…
pub const BATCH_INTERVAL: Duration = Duration::from_millis(50);
/// …or once it holds this many tokens, whichever comes first.
pub const BATCH_TOKENS: i64 = 10;

/// A message to send.
#[derive(Debug, Clone)]
pub struct SendRequest {
    pub session: RecordRef,
    pub content: String,
    /// Include the user's recent projects and active tasks.
    pub include_context: bool,
    /// Same key, same send: a retry never charges or sends twice.
    pub idempotency_key: Option<String>,
}

/// What a send produced.
#[derive(Debug, Clone)]
pub struct SendOutcome {
    pub session: ChatSession,
    pub user_message: ChatMessage,
    pub reply: ChatMessage,
    pub spend: LedgerEntry,
    /// True when the key had been used: this is the earlier exchange.
    pub replayed: bool,
}

/// Sends messages for one profile. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ChatEngine {
    store: ChatStore,
    projects: ProjectStore,
    events: EventBus,
    provider: Arc<RwLock<Option<Arc<dyn ChatProvider>>>>,
    /// Sessions streaming in this process, with their stop switch.
    active: Arc<Mutex<HashMap<i64, watch::Sender<bool>>>>,
    owner: Arc<OwnerLock>,
    run_dir: PathBuf,
}

impl ChatEngine {
    pub(crate) fn new(
        store: ChatStore,
        projects: ProjectStore,
        events: EventBus,
        owner: Arc<OwnerLock>,
        run_dir: PathBuf,
    ) -> Self {
        Self {
            store,
            projects,
            events,
            provider: Arc::default(),
            active: Arc::default(),
            owner,
            run_dir,
        }
    }

    /// Sets (or clears) the model used for replies.
    pub fn set_provider(&self, provider: Option<Arc<dyn ChatProvider>>) {
        *self
            .provider
            .write()
            .unwrap_or_else(PoisonError::into_inner) = provider;
    }

    pub fn provider_label(&self) -> Option<String> {
        self.current_provider().map(|p| p.label())
    }

    fn current_provider(&self) -> Option<Arc<dyn ChatProvider>> {
        self.provider
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Asks the reply streaming in `session_id` to stop; false if none is.
    pub fn stop(&self, session_id: i64) -> bool {
        let active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        active
            .get(&session_id)
            .is_some_and(|stop| stop.send(true).is_ok())
    }

    /// Sends a message and streams the reply to the end (events announce it
    /// as it comes). See the module docs for the steps and the charging rules.
    pub async fn send(&self, request: SendRequest) -> Result<SendOutcome> {
        let content = required_text("message", &request.content, MAX_MESSAGE_CHARS)?;
        let provider = self.provider()?;
        let session = self.store.get_session(&request.session).await?;
        let (claim, stop) = self.claim(&session).await?;
        let key = request
            .idempotency_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let paid = self
            .store
            .pay_and_record(
                &RecordRef::Id(session.id),
                &content,
                &key,
                Some(self.owner.id()),
            )
            .await?;
        let Some(reply) = paid.reply else {
            drop(claim);
            return self.replayed(session, paid.user_message, paid.spend).await;
        };
        let turn = Turn {
            session,
            user_message: paid.user_message,
            reply,
            spend: paid.spend,
        };
        let outcome = self
            .answer(provider, turn, request.include_context, stop)
            .await;
        drop(claim);
        outcome
    }

    /// Answers the last message of `session` again, for another 3 credits.
    /// The earlier reply is replaced only once the new one has text; if the
    /// new one fails before any, it is refunded and the earlier one stays.
    pub async fn regenerate(
        &self,
        session: &RecordRef,
        include_context: bool,
    ) -> Result<SendOutcome> {
        let provider = self.provider()?;
        let session = self.store.get_session(session).await?;
        let (claim, stop) = self.claim(&session).await?;
        let (user_message, previous) = self.store.last_exchange(session.id).await?;
        let request = SpendRequest {
            user_id: self.store.user_id.clone(),
            action: Action::ChatMessage,
            idempotency_key: format!("regenerate:{}:{}", previous.id, uuid::Uuid::new_v4()),
            reference: Some(session.display_id.clone()),
            // A fresh key every time: there is no retry to bind.
            fingerprint: None,
        };
        let (user_id, session_id, owner, now) = (
            self.store.user_id.clone(),
            session.id,
            self.owner.id().to_string(),
            self.store.clock.now(),
        );
        let spent = self
            .store
            .ledger
            .spend_with(request, move |conn, spend_id| {
                Box::pin(async move {
                    insert_reply(conn, &user_id, session_id, spend_id, &owner, now).await
                })
            })
            .await?;
        let Spent::New {
            entry: spend,
            value: reply,
        } = spent
        else {
            return Err(Error::not_found("regeneration", previous.id));
        };
        let turn = Turn {
            session,
            user_message,
            reply,
            spend,
        };
        let outcome = self.answer(provider, turn, include_context, stop).await;
        drop(claim);
        let outcome = outcome?;
        if !outcome.reply.content.is_empty() {
            self.store.delete_message(previous.id).await?;
        }
        Ok(outcome)
    }

    pub(crate) fn provider(&self) -> Result<Arc<dyn ChatProvider>> {
        self.current_provider().ok_or_else(|| {
            ProviderError::NotConfigured(
                "set an Azure OpenAI deployment in Settings or the environment".into(),
            )
            .into()
        })
    }

    /// Streams the reply of a paid turn into its opened reply row.
    async fn answer(
        &self,
        provider: Arc<dyn ChatProvider>,
        turn: Turn,
        include_context: bool,
        mut stop: watch::Receiver<bool>,
    ) -> Result<SendOutcome> {
        let Turn {
            session,
            user_message,
            reply,
            spend,
        } = turn;
        self.events.emit(DomainEvent::ReplyStarted {
            session_id: session.id,
            message_id: reply.id,
        });
        let context = if include_context {
            context_block(&self.projects, CONTEXT_TOKEN_BUDGET).await?
        } else {
            None
        };
        let prompt = self
            .store
            .build_request(session.id, user_message.id, context, None)
            .await?;

        let opened = tokio::select! {
            opened = provider.stream_chat(prompt) => Some(opened),
            _ = stop.changed() => None,
        };
        let stream = match opened {
            Some(Ok(stream)) => stream,
            Some(Err(error)) => return Err(self.fail(&session, reply.id, spend.id, error).await),
            None => {
                return self
                    .finish_unanswered(&session, &user_message, &spend, reply.id)
                    .await
            }
        };
        let streamed = self.pump(&session, reply.id, stream, &mut stop).await;
        if let Some(error) = streamed.not_saved {
            let refused = self
                .fail_unsaved(&session, reply.id, spend.id, &streamed.text, error)
                .await;
            return Err(refused);
        }
        if streamed.text.is_empty() {
            return match streamed.error {
                Some(error) => Err(self.fail(&session, reply.id, spend.id, error).await),
                None if streamed.stopped => {
                    self.finish_unanswered(&session, &user_message, &spend, reply.id)
                        .await
                }
                None => {
                    let empty = ProviderError::BadResponse("the reply was empty".into());
                    Err(self.fail(&session, reply.id, spend.id, empty).await)
                }
            };
        }
        let status = if streamed.error.is_some() {
            MessageStatus::Error
        } else if streamed.stopped {
            MessageStatus::Stopped
        } else if streamed.finish == Some(FinishReason::ContentFilter) {
            MessageStatus::Filtered
        } else {
            MessageStatus::Complete
        };
        let tokens = streamed
            .usage
            .map_or_else(|| tokens::count(&streamed.text), |u| u.completion_tokens);
        let error = streamed.error.as_ref().map(ToString::to_string);
        let end = ReplyEnd {
            content: &streamed.text,
            status,
            tokens,
            usage: streamed.usage,
            error: error.as_deref(),
        };
        let reply = self.store.finish_reply(reply.id, end).await?;
        self.events.emit(DomainEvent::ReplyFinished {
            session_id: session.id,
            message_id: reply.id,
            status,
            tokens,
        });
        let session = self.store.get_session(&RecordRef::Id(session.id)).await?;
        Ok(SendOutcome {
            session,
            user_message,
            reply,
            spend,
            replayed: false,
        })
    }

    /// Reads the stream, saving and announcing text in batches. A journal
    /// that cannot be opened or written ends the reply there
    /// (`Streamed::not_saved`): text the user never saw is not announced.
    async fn pump(
        &self,
        session: &ChatSession,
        message_id: i64,
        mut stream: crate::providers::EventStream,
        stop: &mut watch::Receiver<bool>,
    ) -> Streamed {
        let mut out = Streamed::default();
        let mut batch = Batch::default();
        let mut journal = match self.store.open_journal(message_id).await {
            Ok(journal) => journal,
            Err(error) => {
                out.not_saved = Some(JournalError::not_saved(&error));
                return out;
            }
        };
        loop {
            let deadline = batch.deadline;
            tokio::select! {
                biased;
                _ = stop.changed() => {
                    out.stopped = true;
                    break;
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    if !self.flush(session, message_id, &mut batch, &mut out, &mut journal).await {
                        return out;
                    }
                }
                event = stream.next() => match event {
                    Some(Ok(ProviderEvent::Delta(text))) => {
                        batch.push(&text);
                        if batch.tokens >= BATCH_TOKENS
                            && !self.flush(session, message_id, &mut batch, &mut out, &mut journal).await
                        {
                            return out;
                        }
                    }
                    Some(Ok(ProviderEvent::Usage(usage))) => {
                        // Keep events in stream order: text first.
                        if !self.flush(session, message_id, &mut batch, &mut out, &mut journal).await {
                            return out;
                        }
                        out.usage = Some(usage);
                        self.events.emit(DomainEvent::ReplyUsage { session_id: session.id, message_id, usage });
                    }
                    Some(Ok(ProviderEvent::Finished(reason))) => out.finish = Some(reason),
                    Some(Err(error)) => {
                        out.error = Some(error);
                        break;
                    }
                    None => break,
                },
            }
        }
        if !self
            .flush(session, message_id, &mut batch, &mut out, &mut journal)
            .await
        {
            return out;
        }
        if out.finish.is_none() && !out.stopped && out.error.is_none() {
            out.error = Some(ProviderError::Network(
                "the reply stream ended before the model finished".into(),
            ));
        }
        out
    }

    /// Appends the pending batch to the reply's journal and announces it.
    /// False, with `out.not_saved` set, when the journal could not be
    /// written: that batch is neither kept nor announced.
    async fn flush(
        &self,
        session: &ChatSession,
        message_id: i64,
        batch: &mut Batch,
        out: &mut Streamed,
        journal: &mut JournalWriter,
    ) -> bool {
        if batch.text.is_empty() {
            batch.deadline = None;
            return true;
        }
        if let Err(error) = journal.append(&batch.text).await {
            out.not_saved = Some(JournalError::not_saved(&error));
            return false;
        }
        out.text.push_str(&batch.text);
        let delta = std::mem::take(&mut batch.text);
        self.events.emit(DomainEvent::ReplyDelta {
            session_id: session.id,
            message_id,
            delta,
        });
        batch.tokens = 0;
        batch.deadline = None;
        true
    }

    /// The journal could not be written: the reply ends now as `error`,
    /// keeping the text already shown, and the send is refunded at once.
    async fn fail_unsaved(
        &self,
        session: &ChatSession,
        message_id: i64,
        spend_id: i64,
        shown: &str,
        error: JournalError,
    ) -> Error {
        tracing::warn!(
            message_id,
            code = %error.code(),
            "a reply journal could not be written; reply refunded"
        );
        let ended = self
            .store
            .fail_unsaved_reply(message_id, spend_id, shown, &error.to_string())
            .await;
        let (code, message) = (error.code(), error.to_string());
        self.announce_failure(session, message_id, ended, code, message, error.into())
    }

    /// Announces a reply that ended in `error` once its row was marked and
    /// its send refunded (`ended`); if that failed, its error is the one
    /// returned, and nothing is announced.
    fn announce_failure(
        &self,
        session: &ChatSession,
        message_id: i64,
        ended: Result<(ChatMessage, bool)>,
        code: ErrorCode,
        message: String,
        error: Error,
    ) -> Error {
        match ended {
            Ok((_, refunded)) => {
                self.events.emit(DomainEvent::ReplyFailed {
                    session_id: session.id,
                    message_id,
                    code,
                    message,
                    refunded,
                });
                error
            }
            Err(db) => db,
        }
    }

    /// A failure before any text: the reply is marked failed, the send refunded.
    async fn fail(
        &self,
        session: &ChatSession,
        message_id: i64,
        spend_id: i64,
        error: ProviderError,
    ) -> Error {
        let ended = self
            .store
            .fail_reply(
                message_id,
                spend_id,
                &error.to_string(),
                MessageStatus::Error,
            )
            .await;
        let (code, message) = (error.code(), error.to_string());
        self.announce_failure(session, message_id, ended, code, message, error.into())
    }

    /// Stopped before any text arrived: nothing was delivered, so refund.
    async fn finish_unanswered(
        &self,
        session: &ChatSession,
        user_message: &ChatMessage,
        spend: &LedgerEntry,
        message_id: i64,
    ) -> Result<SendOutcome> {
        let (reply, _) = self
            .store
            .fail_reply(
                message_id,
                spend.id,
                "stopped before any reply",
                MessageStatus::Stopped,
            )
            .await?;
        self.events.emit(DomainEvent::ReplyFinished {
            session_id: session.id,
            message_id,
            status: MessageStatus::Stopped,
            tokens: 0,
        });
        let session = self.store.get_session(&RecordRef::Id(session.id)).await?;
        Ok(SendOutcome {
            session,
            user_message: user_message.clone(),
            reply,
            spend: spend.clone(),
            replayed: false,
        })
    }

    /// The earlier exchange for a reused idempotency key.
    async fn replayed(
        &self,
        session: ChatSession,
        user_message: ChatMessage,
        spend: LedgerEntry,
    ) -> Result<SendOutcome> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE spend_id = ? AND role = 'assistant'"
        );
        let reply: ChatMessage = sqlx::query_as(&sql)
            .bind(spend.id)
            .fetch_optional(self.store.db.pool())
            .await?
            .ok_or_else(|| Error::not_found("reply paid by ledger entry", spend.id))?;
        Ok(SendOutcome {
            session,
            user_message,
            reply,
            spend,
            replayed: true,
        })
    }

    /// One generation per session: in this process by the `active` map, and
    /// across processes (app and CLI) by a live-owned `streaming` reply.
    async fn claim(&self, session: &ChatSession) -> Result<(Claim, watch::Receiver<bool>)> {
        let busy = || {
            Error::from(ChatError::SessionBusy {
                session: session.display_id.clone(),
            })
        };
        let owners: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT stream_owner FROM chat_messages WHERE session_id = ? AND status = 'streaming'",
        )
        .bind(session.id)
        .fetch_all(self.store.db.pool())
        .await?;
        if owners
            .iter()
            .flatten()
            .any(|o| o != self.owner.id() && !liveness::owner_is_gone(&self.run_dir, o))
        {
            return Err(busy());
        }
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        if active.contains_key(&session.id) {
            return Err(busy());
        }
        let (tx, rx) = watch::channel(false);
        active.insert(session.id, tx);
        Ok((
            Claim {
                active: self.active.clone(),
                session_id: session.id,
            },
            rx,
        ))
    }
}

/// A paid exchange: the user's message and the reply row opened for it.
struct Turn {
    session: ChatSession,
    user_message: ChatMessage,
    reply: ChatMessage,
    spend: LedgerEntry,
}

/// Releases a session's claim when the send ends, however it ends.
struct Claim {
    active: Arc<Mutex<HashMap<i64, watch::Sender<bool>>>>,
    session_id: i64,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.session_id);
    }
}

/// Text waiting to be saved and announced.
#[derive(Default)]
struct Batch {
    text: String,
    tokens: i64,
    deadline: Option<Instant>,
}

impl Batch {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
        self.tokens += tokens::count(text).max(1);
        self.deadline
            .get_or_insert_with(|| Instant::now() + BATCH_INTERVAL);
    }
}

/// What the stream delivered.
#[derive(Default)]
struct Streamed {
    text: String,
    usage: Option<TokenUsage>,
    finish: Option<FinishReason>,
    stopped: bool,
    error: Option<ProviderError>,
    /// Set when the journal could not be written: the reply must end now.
    not_saved: Option<JournalError>,
}
