//! Answering one paid turn: the reply row is open (`streaming`); this sends
//! the prompt, reads the stream into the row and ends it one of four ways.
//!
//! A failure before any text refunds the send; a reply that had text when
//! it was stopped or cut off is kept and charged once. A reply whose text
//! cannot be saved to its journal ends at once, refunded, keeping the text
//! already shown (see [`JournalError`]). What the stream ended with and was
//! not announced yet ([`Unsaid`]) is announced once the end is stored.

use super::journal::JournalError;
use super::listener::Announcer;
use super::replies::{Ended, ReplyEnd};
use super::rows::ChatBackend;
use super::stream::{ReplyStream, Streamed, Unsaid};
use super::{ChatMessage, ChatSession, ChatStore, MessageStatus, SendOutcome};
use crate::error::{Error, ErrorCode, Result};
use crate::events::DomainEvent;
use crate::ledger::{Balance, LedgerEntry};
use crate::providers::{ChatProvider, ChatRequest, FinishReason, ProviderError};
use crate::tokens;
use std::sync::Arc;
use tokio::sync::watch;

/// Which model a reply is asked of, and with which effort (stored on it).
struct Answerer {
    model: String,
    effort: Option<crate::providers::ReasoningEffort>,
}

/// A paid exchange: the user's message and the reply row opened for it.
pub(super) struct Turn<'a, S: ChatBackend> {
    pub store: &'a ChatStore<S>,
    pub announce: Announcer,
    pub session: ChatSession,
    pub user_message: ChatMessage,
    pub reply: ChatMessage,
    pub spend: LedgerEntry,
    /// The balance once the send was paid.
    pub balance: Balance,
}

impl<S: ChatBackend> Turn<'_, S> {
    /// Streams the reply to `prompt` into the opened reply row.
    pub(super) async fn answer(
        self,
        provider: Arc<dyn ChatProvider>,
        prompt: ChatRequest,
        mut stop: watch::Receiver<bool>,
    ) -> Result<SendOutcome> {
        let answered_by = Answerer {
            model: provider.model_name(),
            effort: provider.effort_for(&prompt),
        };
        let opened = tokio::select! {
            opened = provider.stream_chat(prompt) => Some(opened),
            _ = stop.changed() => None,
        };
        let stream = match opened {
            Some(Ok(stream)) => stream,
            Some(Err(error)) => return Err(self.fail(error).await),
            None => return self.finish_unanswered().await,
        };
        let reader = ReplyStream {
            announce: &self.announce,
            session_id: self.session.id,
            message_id: self.reply.id,
        };
        let journal = self.store.open_journal(self.reply.id).await;
        let mut streamed = reader.read(journal, stream, &mut stop).await;
        if let Some(error) = streamed.not_saved {
            return Err(self.fail_unsaved(&streamed.text, error).await);
        }
        if streamed.text.is_empty() {
            // Without text only a usage report can be left to announce; it
            // came before the end, so it goes first.
            self.announce_unsaid(std::mem::take(&mut streamed.unsaid));
            return match streamed.error {
                Some(error) => Err(self.fail(error).await),
                None if streamed.stopped => self.finish_unanswered().await,
                None => {
                    let empty = ProviderError::BadResponse("the reply was empty".into());
                    Err(self.fail(empty).await)
                }
            };
        }
        self.finish(streamed, answered_by).await
    }

    /// The reply has text: it is kept, with how it ended and who wrote it.
    async fn finish(self, streamed: Streamed, answered_by: Answerer) -> Result<SendOutcome> {
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
            model: Some(&answered_by.model),
            reasoning_effort: answered_by.effort,
        };
        let ended = self.store.finish_reply(self.reply.id, end).await?;
        self.announce_unsaid(streamed.unsaid);
        self.announce.emit(DomainEvent::ReplyFinished {
            session_id: self.session.id,
            message_id: self.reply.id,
            status,
            tokens,
        });
        Ok(self.outcome(ended))
    }

    /// Stopped before any text arrived: nothing was delivered, so refund.
    async fn finish_unanswered(self) -> Result<SendOutcome> {
        let ended = self
            .store
            .fail_reply(
                self.reply.id,
                self.spend.id,
                "stopped before any reply",
                MessageStatus::Stopped,
            )
            .await?;
        self.announce.emit(DomainEvent::ReplyFinished {
            session_id: self.session.id,
            message_id: self.reply.id,
            status: MessageStatus::Stopped,
            tokens: 0,
        });
        Ok(self.outcome(ended))
    }

    /// A failure before any text: the reply is marked failed, the send refunded.
    async fn fail(&self, error: ProviderError) -> Error {
        let ended = self
            .store
            .fail_reply(
                self.reply.id,
                self.spend.id,
                &error.to_string(),
                MessageStatus::Error,
            )
            .await;
        let (code, message) = (error.code(), error.to_string());
        self.announce_failure(ended, code, message, error.into())
    }

    /// The request could not be put together (the user's context could not
    /// be read): nothing was asked, so the reply is marked failed and the
    /// send refunded, as for a provider's refusal.
    pub(super) async fn fail_unasked(&self, error: Error) -> Error {
        // The row and the event may reach another device: a fault of our own
        // (a database error) is told by its code, its detail only logged.
        let message = if error.is_user_error() {
            error.to_string()
        } else {
            tracing::warn!(code = %error.code(), %error, "a paid reply could not be prepared; refunded");
            "the request could not be prepared; nothing was charged".to_string()
        };
        let ended = self
            .store
            .fail_reply(self.reply.id, self.spend.id, &message, MessageStatus::Error)
            .await;
        self.announce_failure(ended, error.code(), message, error)
    }

    /// The journal could not be written: the reply ends now as `error`,
    /// keeping the text already shown, and the send is refunded at once.
    async fn fail_unsaved(&self, shown: &str, error: JournalError) -> Error {
        tracing::warn!(
            message_id = self.reply.id,
            code = %error.code(),
            "a reply journal could not be written; reply refunded"
        );
        let ended = self
            .store
            .fail_unsaved_reply(self.reply.id, self.spend.id, shown, &error.to_string())
            .await;
        let (code, message) = (error.code(), error.to_string());
        self.announce_failure(ended, code, message, error.into())
    }

    /// Announces what the stream ended with, once it is stored.
    fn announce_unsaid(&self, unsaid: Unsaid) {
        unsaid.announce(&self.announce, self.session.id, self.reply.id);
    }

    /// Announces a reply that ended in `error` once its row was marked and
    /// its send refunded (`ended`); if that failed, its error is the one
    /// returned, and nothing is announced.
    fn announce_failure(
        &self,
        ended: Result<Ended>,
        code: ErrorCode,
        message: String,
        error: Error,
    ) -> Error {
        match ended {
            Ok(ended) => {
                self.announce.emit(DomainEvent::ReplyFailed {
                    session_id: self.session.id,
                    message_id: self.reply.id,
                    code,
                    message,
                    refunded: ended.refunded,
                });
                error
            }
            Err(db) => db,
        }
    }

    fn outcome(self, ended: Ended) -> SendOutcome {
        SendOutcome {
            session: ended.session,
            user_message: self.user_message,
            reply: ended.reply,
            spend: self.spend,
            replayed: false,
            balance: ended.balance.unwrap_or(self.balance),
        }
    }
}
