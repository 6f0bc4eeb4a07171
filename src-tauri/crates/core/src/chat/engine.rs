//! Sending a chat message and regenerating a reply: the one door every
//! client (the app, the CLI, the server to come) goes through.
//!
//! A send: validate the text → find or start its session → claim the
//! session → pay and save the user message and open the reply, in one
//! transaction ([`ChatStore::pay_for_turn`]) → build the prompt → answer
//! ([`Turn::answer`]: stream, save, announce, end). A session the send
//! started is removed again if the send fails before anything is kept.

use super::attachments::{self, Attachment};
use super::claims::Claims;
use super::listener::{Announcer, ReplyListener};
use super::paying::{PaidTurn, Payment};
use super::prompt::{build_request, file_carriers, with_files};
use super::rows::{ChatBackend, Owners};
use super::turn::Turn;
use super::{ChatMessage, ChatSession, ChatStore};
use crate::context::{ContextSource, CONTEXT_TOKEN_BUDGET};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::events::{DomainEvent, EventBus};
use crate::ids::RecordRef;
use crate::ledger::{Balance, LedgerEntry};
use crate::providers::{ChatProvider, ModelCatalog, ProviderError, Refusing};
use crate::validate::{required_text, MAX_MESSAGE_CHARS};
use std::sync::Arc;
use tokio::sync::watch;

/// A message to send.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// The session to send in; `None` starts a new one (or, when the
    /// idempotency key already paid for a message, goes back to that
    /// message's session: the key is bound to it, see
    /// [`crate::ledger::Fingerprint`]).
    pub session: Option<RecordRef>,
    pub content: String,
    /// Include the user's recent projects and active tasks.
    pub include_context: bool,
    /// Same key, same send: a retry never charges or sends twice.
    pub idempotency_key: Option<String>,
    /// Send the text as another version of this user message (a sibling
    /// of it: the conversation forks there, and the new version becomes the
    /// active path), in its session (`session`, if given, must be that
    /// one). `None`: after the active path's last message.
    ///
    /// The new version's files: an edit that brings no [`Self::attachments`]
    /// keeps the edited message's (a user changing the text does not expect
    /// the file to vanish): they are sent with it and stored again as its
    /// own, in the paying transaction, checked against the budget as
    /// attached files are; their images only when the chat's model can see
    /// (else they stay on the earlier version and the text goes alone). An
    /// edit that brings attachments has exactly those.
    pub edit_of: Option<i64>,
    /// Files sent with the message, checked ([`Attachment::new`]); checked
    /// again against the model and the token budget before anything is paid.
    pub attachments: Vec<Attachment>,
}

/// What a send produced (the server sends it as a stream's last event).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendOutcome {
    /// The session as it is after the reply.
    pub session: ChatSession,
    pub user_message: ChatMessage,
    pub reply: ChatMessage,
    pub spend: LedgerEntry,
    /// True when the key had been used: this is the earlier exchange.
    pub replayed: bool,
    /// The balance once the reply ended.
    pub balance: Balance,
}

/// Sends messages for one user (a desktop profile, or a server account) on
/// the desktop's SQLite (the default) or the server's Postgres. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct ChatEngine<S: ChatBackend = Db> {
    store: ChatStore<S>,
    context: Arc<dyn ContextSource>,
    events: EventBus,
    model: ModelCatalog,
    claims: Claims,
}

impl<S: ChatBackend> ChatEngine<S> {
    /// An engine answering with `model`, announcing on `events`, and
    /// claiming sessions through `claims` (shared by every engine of the
    /// process, so a stop reaches the send it names).
    pub fn new(
        store: ChatStore<S>,
        context: Arc<dyn ContextSource>,
        events: EventBus,
        model: ModelCatalog,
        claims: Claims,
    ) -> Self {
        Self {
            store,
            context,
            events,
            model,
            claims,
        }
    }

    /// Sets (or clears) the model used for replies and project generation.
    pub fn set_provider(&self, provider: Option<Arc<dyn ChatProvider>>) {
        self.model.set(provider);
    }

    /// The models this engine answers with (a chat's own, or the default).
    pub fn models(&self) -> &ModelCatalog {
        &self.model
    }

    /// The default model's label, if it can answer.
    pub fn provider_label(&self) -> Option<String> {
        self.model.label()
    }

    /// Asks the reply streaming in `session_id` to stop; false if none is.
    pub fn stop_reply(&self, session_id: i64) -> bool {
        self.claims.stop(session_id)
    }

    /// How many replies this process is streaming now (the desktop's
    /// updater installs only when none is).
    pub fn streaming_replies(&self) -> usize {
        self.claims.streaming()
    }

    /// Sends a message and streams the reply to the end; its events go on
    /// the bus. See the module docs for the steps.
    pub async fn send(&self, request: SendRequest) -> Result<SendOutcome> {
        self.send_to(request, ReplyListener::none()).await
    }

    /// [`Self::send`], handing each reply event to `listener` as well.
    pub async fn send_to(
        &self,
        request: SendRequest,
        listener: ReplyListener,
    ) -> Result<SendOutcome> {
        let content = required_text("message", &request.content, MAX_MESSAGE_CHARS)?;
        // An edit goes to the session of the message it edits.
        let named = match (request.session, request.edit_of) {
            (None, Some(edited)) => Some(RecordRef::Id(
                self.store.session_of_message(edited).await?.id,
            )),
            (named, _) => named,
        };
        // Only a caller's own key can have paid before; a fresh one cannot.
        let earlier = match (&named, &request.idempotency_key) {
            (None, Some(key)) => self.store.session_paid_with(key).await?,
            _ => None,
        };
        let callers_key = request.idempotency_key.is_some();
        let key = crate::idempotency::key_or_new(request.idempotency_key);
        // The session, and the writers of its streaming replies: a session
        // started here has none (and is started only once the model and
        // the files are accepted).
        let existing = match (named, earlier) {
            (Some(session), _) => Some(self.store.get_session_and_owners(&session).await?),
            (None, Some(earlier)) => {
                let owners = self.store.stream_owners(earlier.id).await?;
                Some((earlier, owners))
            }
            (None, None) => None,
        };
        // The chat's own model, or the default.
        let provider = self
            .model
            .require_named(existing.as_ref().and_then(|(s, _)| s.model.as_deref()));
        // An edit is always in a session that exists (the edited message's).
        let edit_of = match (request.edit_of, &existing) {
            (Some(id), Some((session, _))) => {
                Some(self.store.editable_message(session.id, id).await?)
            }
            (Some(id), None) => return Err(Error::not_found("message in this session", id)),
            (None, _) => None,
        };
        // An edit without files of its own keeps the edited message's (see
        // `SendRequest::edit_of`); their images only for a model that sees
        // (they stay on the earlier version), so the new text can always go.
        let files = match &edit_of {
            Some(edited) if request.attachments.is_empty() => {
                let mut kept = self.store.attachments_of(edited.id).await?;
                if provider.as_ref().is_ok_and(|p| !p.supports_vision()) {
                    kept.retain(|f| f.kind != attachments::AttachmentKind::Image);
                }
                kept
            }
            _ => request.attachments,
        };
        // Refused before anything is paid or a session started. A retry of
        // a send already paid is answered from what was kept, whatever
        // became of its model since (the refusal waits until the ledger
        // says it is not a replay).
        let checked = provider.map_err(Error::from).and_then(|provider| {
            let tokens = attachments::check_for_send(
                &content,
                &files,
                provider.supports_vision(),
                &provider.label(),
            )?;
            Ok((provider, tokens))
        });
        let (provider, tokens) = match checked {
            Ok(checked) => checked,
            // Should the ledger not replay it after all, the turn fails
            // with this refusal and is refunded like any reply that could
            // not start.
            Err(error) if callers_key && self.store.session_paid_with(&key).await?.is_some() => {
                let refusal = ProviderError::BadRequest {
                    code: error.code().as_str().to_string(),
                    message: error.to_string(),
                };
                (Refusing::provider(refusal), 0)
            }
            Err(error) => return Err(error),
        };
        let (session, owners, started) = match existing {
            Some((session, owners)) => (session, owners, false),
            None => (self.store.create_session(None).await?, Vec::new(), true),
        };
        let session_id = session.id;
        let turn = Asked {
            session,
            owners,
            include_context: request.include_context,
            listener,
            attachments: files,
        };
        let sent = self
            .send_in(turn, &content, tokens, &key, edit_of.as_ref(), provider)
            .await;
        if started && sent.is_err() {
            self.store.discard_if_empty(session_id).await;
        }
        sent
    }

    async fn send_in(
        &self,
        asked: Asked,
        content: &str,
        tokens: i64,
        key: &str,
        edit_of: Option<&ChatMessage>,
        provider: Arc<dyn ChatProvider>,
    ) -> Result<SendOutcome> {
        let (claim, stop) = self.claims.claim(&asked.session, &asked.owners).await?;
        // Counted before paying (with the attachments' text): the first
        // count in a process loads the tokenizer, far too slow to do while
        // holding the write lock.
        let files = attachments::digest(&asked.attachments);
        let payment = Payment::Message {
            content,
            tokens,
            key,
            edit_of,
            files: files.as_deref(),
            attachments: &asked.attachments,
        };
        let paid = self
            .store
            .pay_for_turn(&asked.session, payment, Some(claim.writer()))
            .await?;
        self.answer(asked, paid, content, provider, stop).await
    }

    /// Answers the last message of `session`'s active path again, for the
    /// price of a chat message. The new reply is a sibling of the earlier
    /// one (nothing is overwritten) and becomes the active path; if it ends
    /// without any text, it is refunded and the earlier one is shown again.
    pub async fn regenerate(
        &self,
        session: &RecordRef,
        include_context: bool,
    ) -> Result<SendOutcome> {
        self.regenerate_to(session, include_context, ReplyListener::none())
            .await
    }

    /// [`Self::regenerate`], handing each reply event to `listener` as well.
    pub async fn regenerate_to(
        &self,
        session: &RecordRef,
        include_context: bool,
        listener: ReplyListener,
    ) -> Result<SendOutcome> {
        let (session, owners) = self.store.get_session_and_owners(session).await?;
        let provider = self.model.require_named(session.model.as_deref())?;
        let (claim, stop) = self.claims.claim(&session, &owners).await?;
        let (user_message, previous) = self.store.last_exchange(session.id).await?;
        let content = user_message.content.clone();
        // The message's files go again; the model may have changed since.
        let attachments = self.store.attachments_of(user_message.id).await?;
        attachments::check_for_send(
            &content,
            &attachments,
            provider.supports_vision(),
            &provider.label(),
        )?;
        let payment = Payment::Regeneration { user_message };
        let paid = self
            .store
            .pay_for_turn(&session, payment, Some(claim.writer()))
            .await?;
        let asked = Asked {
            session,
            owners,
            include_context,
            listener,
            attachments,
        };
        let session_id = asked.session.id;
        let outcome = self.answer(asked, paid, &content, provider, stop).await;
        match outcome {
            Ok(mut outcome) => {
                if outcome.reply.content.is_empty() && !outcome.replayed {
                    self.store.step_back(session_id, &previous).await;
                    outcome.session = self.store.get_session(&RecordRef::Id(session_id)).await?;
                }
                Ok(outcome)
            }
            Err(error) => {
                self.store.step_back(session_id, &previous).await;
                Err(error)
            }
        }
    }

    /// Streams the reply of a paid turn; a replayed turn is the earlier
    /// exchange, returned as it is.
    async fn answer(
        &self,
        asked: Asked,
        paid: PaidTurn,
        content: &str,
        provider: Arc<dyn ChatProvider>,
        stop: watch::Receiver<bool>,
    ) -> Result<SendOutcome> {
        let reply = paid
            .reply
            .ok_or_else(|| Error::not_found("reply paid by ledger entry", paid.spend.id))?;
        if paid.replayed {
            return Ok(SendOutcome {
                session: paid.session,
                user_message: paid.user_message,
                reply,
                spend: paid.spend,
                replayed: true,
                balance: paid.balance,
            });
        }
        let announce = Announcer::new(self.events.clone(), asked.listener);
        announce.emit(DomainEvent::ReplyStarted {
            session_id: paid.session.id,
            message_id: reply.id,
        });
        let turn = Turn {
            store: &self.store,
            announce,
            session: paid.session,
            user_message: paid.user_message,
            reply,
            spend: paid.spend,
            balance: paid.balance,
        };
        // Paid and opened: from here every failure must end the reply (a
        // `streaming` row whose writer is alive is never recovered).
        let context = match self.context_for(asked.include_context).await {
            Ok(context) => context,
            Err(error) => return Err(turn.fail_unasked(error).await),
        };
        // The files of the earlier messages go with them: read on the read
        // pool now the paying transaction is over, all in one statement,
        // and counted before any write lock is taken again; only those the
        // history read says have files are asked for, and when none do,
        // nothing is read (`ChatStore::attachments_of_messages`).
        let earlier = match self
            .store
            .attachments_of_messages(&file_carriers(&paid.history))
            .await
        {
            Ok(files) => files,
            Err(error) => return Err(turn.fail_unasked(error).await),
        };
        let history = with_files(paid.history, earlier, provider.supports_vision());
        // The chat's settings as read when the send began.
        let settings = asked.session.settings();
        // The files were stored with the message, in the paying transaction
        // (a regeneration's, with the message it answers).
        let text = attachments::prompt_text(content, &asked.attachments);
        let mut prompt = build_request(history, &text, context, None, &settings);
        if let Some(last) = prompt.messages.last_mut() {
            last.images = attachments::image_urls(&asked.attachments);
        }
        turn.answer(provider, prompt, stop).await
    }
}

impl<S: ChatBackend> ChatEngine<S> {
    /// The user's context for the prompt, when asked for.
    async fn context_for(&self, include_context: bool) -> Result<Option<String>> {
        if include_context {
            self.context.context_block(CONTEXT_TOKEN_BUDGET).await
        } else {
            Ok(None)
        }
    }
}

/// What the caller asked of a turn, beside the text.
struct Asked {
    session: ChatSession,
    /// The writers of the session's streaming replies, as read with it.
    owners: Owners,
    include_context: bool,
    listener: ReplyListener,
    /// The files of the user message, sent with it to the model.
    attachments: Vec<Attachment>,
}
