//! Assistant replies on disk while they stream.
//!
//! A reply starts as an empty `streaming` row stamped with its writer's
//! owner id. Its text is appended to the reply's journal file, one write per
//! batch (see [`super::journal`]); finishing writes the text into the
//! message once and deletes the journal. After a crash the journal is still
//! there, and [`recover_interrupted`] turns it into an `interrupted` reply.

use super::journal::{Journals, ReplyJournal};
use super::rows::{ChatBackend, ChatRows, Owners};
use super::{ChatMessage, ChatSession, ChatStore, MessageStatus, Role};
use crate::db::Db;
use crate::error::Result;
use crate::ledger::rows::LedgerStore;
use crate::ledger::{Balance, Ledger, Refunds};
use crate::liveness;
use crate::providers::TokenUsage;
use chrono::{DateTime, Utc};
use std::path::Path;

/// How a reply ended, for [`ChatStore::finish_reply`].
pub struct ReplyEnd<'a> {
    pub content: &'a str,
    pub status: MessageStatus,
    pub tokens: i64,
    pub usage: Option<TokenUsage>,
    pub error: Option<&'a str>,
    /// The deployment or model that wrote it, and the effort it was asked
    /// with (see [`ChatMessage::model`]).
    pub model: Option<&'a str>,
    pub reasoning_effort: Option<crate::providers::ReasoningEffort>,
}

impl<S: ChatBackend> ChatStore<S> {
    /// The last user message of the active path and the reply after it,
    /// for regenerating.
    pub(crate) async fn last_exchange(
        &self,
        session_id: i64,
    ) -> Result<(ChatMessage, ChatMessage)> {
        let last = self
            .db
            .read()
            .await?
            .messages_before(session_id, i64::MAX, 2)
            .await?;
        let mut last = self.with_streamed_text(last).await?;
        match (last.pop(), last.pop()) {
            (Some(user), Some(reply))
                if user.role == Role::User && reply.role == Role::Assistant =>
            {
                Ok((user, reply))
            }
            _ => Err(crate::validate::ValidationError::Invalid {
                field: "session",
                reason: "there is no reply to regenerate: the last message is not a reply".into(),
            }
            .into()),
        }
    }

    /// Fills in the text streamed so far of `streaming` replies.
    pub(crate) async fn with_streamed_text(
        &self,
        mut messages: Vec<ChatMessage>,
    ) -> Result<Vec<ChatMessage>> {
        for message in &mut messages {
            if message.status == MessageStatus::Streaming {
                // An unreadable journal shows what the row has rather than
                // failing the whole listing; its writer ends the reply.
                if let Some(streamed) = self.journal.read_what_it_can(message.id).await {
                    message.content.push_str(&streamed);
                }
            }
        }
        Ok(messages)
    }

    /// Starts the journal a new reply's text is appended to.
    pub(crate) async fn open_journal(
        &self,
        message_id: i64,
    ) -> Result<<S::Journal as Journals>::Writer> {
        self.journal.create(message_id).await
    }

    /// Writes the final text and status at once, then drops the journal.
    /// Returns the reply, its session and the balance as they are now.
    pub(crate) async fn finish_reply(&self, message_id: i64, end: ReplyEnd<'_>) -> Result<Ended> {
        let mut write = self.db.begin_single_write().await?;
        let finished = write
            .finish_reply(&self.user_id, message_id, &end, self.clock.now())
            .await?;
        S::commit_single_write(write).await?;
        self.journal.remove(message_id).await;
        Ok(Ended {
            reply: finished.reply,
            session: finished.session,
            balance: Some(self.ledger.balance_of(&finished.usage)),
            refunded: false,
        })
    }

    /// Ends a reply that produced no text (`error`, or `stopped` before any
    /// text) and refunds its send, in one transaction. Returns the message and
    /// whether a refund was made.
    pub(crate) async fn fail_reply(
        &self,
        message_id: i64,
        spend_id: i64,
        error: &str,
        status: MessageStatus,
    ) -> Result<Ended> {
        self.end_refunded(message_id, spend_id, None, error, status)
            .await
    }

    /// Ends a reply whose journal could not be written: it is marked
    /// `error` keeping the text the user was already shown, and its send is
    /// refunded at once (not at the next start), in one transaction.
    pub(crate) async fn fail_unsaved_reply(
        &self,
        message_id: i64,
        spend_id: i64,
        shown: &str,
        error: &str,
    ) -> Result<Ended> {
        self.end_refunded(
            message_id,
            spend_id,
            Some(shown),
            error,
            MessageStatus::Error,
        )
        .await
    }

    /// Sets the reply's end (and its text, when given) and refunds its send.
    async fn end_refunded(
        &self,
        message_id: i64,
        spend_id: i64,
        content: Option<&str>,
        error: &str,
        status: MessageStatus,
    ) -> Result<Ended> {
        // Counted before the write lock is taken (see `crate::tokens`).
        let tokens = content.map(crate::tokens::count);
        let mut refunds = self.ledger.begin_refunds().await?;
        refunds
            .conn()
            .end_refunded_reply(message_id, status, error, content, tokens, self.clock.now())
            .await?;
        let refunded = refund_turn(&mut refunds, spend_id).await?;
        let reply = refunds.conn().fetch_message(message_id).await?;
        let session = refunds.conn().fetch_session(reply.session_id).await?;
        let balance = refunds.commit().await?;
        self.journal.remove(message_id).await;
        Ok(Ended {
            reply,
            session,
            balance,
            refunded,
        })
    }

    /// Whether a reply is streaming in `session_id` (by any writer).
    pub async fn is_answering(&self, session_id: i64) -> Result<bool> {
        Ok(!self.stream_owners(session_id).await?.is_empty())
    }

    /// The `streaming` replies' owners in a session (the writers that hold it).
    pub(crate) async fn stream_owners(&self, session_id: i64) -> Result<Owners> {
        self.db.read().await?.stream_owners(session_id).await
    }
}

/// How a reply ended, as stored.
#[derive(Debug)]
pub(crate) struct Ended {
    pub reply: ChatMessage,
    pub session: ChatSession,
    /// The balance afterwards, when this end changed or read it.
    pub balance: Option<Balance>,
    /// True when the send was refunded now.
    pub refunded: bool,
}

/// Refunds a turn's spend, and its user message no longer costs anything.
/// True when the refund was written now (not replayed).
async fn refund_turn<S: ChatBackend>(refunds: &mut Refunds<'_, S>, spend_id: i64) -> Result<bool> {
    let receipt = refunds.refund(spend_id).await?;
    refunds.conn().unbill_user_message(spend_id).await?;
    Ok(!receipt.replayed)
}

/// The error of a reply recovered at start-up.
const STOPPED_EARLY: &str = "Banter stopped before the reply finished";
/// …and of one whose saved text could not be read.
const UNREADABLE: &str =
    "Banter stopped before the reply finished, and the text saved for it could not be read";

/// At start-up: replies left `streaming` by a process that is gone become
/// `interrupted` with the text they had (see [`recover_stranded`]), and
/// journals no reply needs any more are deleted.
pub(crate) async fn recover_interrupted(
    db: &Db,
    ledger: &Ledger,
    journal: &ReplyJournal,
    run_dir: &Path,
    now: DateTime<Utc>,
) -> Result<u32> {
    let is_gone = |owner: String| {
        let gone = liveness::owner_is_gone(run_dir, &owner);
        std::future::ready(Ok(gone))
    };
    let recovered = recover_stranded(db, ledger, journal, is_gone, now).await?;
    remove_orphan_journals(db, journal).await?;
    Ok(recovered)
}

/// Replies left `streaming` by a writer that is gone (`is_gone`: a process
/// on the desktop, a server instance on the server; a reply with no writer
/// is always stranded) become `interrupted` with the text they had. One that
/// had no text yet delivered nothing, so its send is refunded — once, even
/// if two recoverers race. A journal that cannot be read costs only its own
/// text (the reply is kept with what the row has, and refunded if that is
/// nothing), never the recovery. Returns how many replies were recovered.
pub async fn recover_stranded<S, F, Fut>(
    db: &S,
    ledger: &Ledger<S>,
    journal: &S::Journal,
    is_gone: F,
    now: DateTime<Utc>,
) -> Result<u32>
where
    S: ChatBackend,
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let owners = db.read().await?.streaming_owners().await?;
    let mut recovered = 0;
    for owner in owners {
        if let Some(alive) = &owner {
            if !is_gone(alive.clone()).await? {
                continue;
            }
        }
        // Read the journals and count tokens first: nothing slow runs while
        // the write lock is held. The owner is gone, so nobody appends now.
        let stranded = db.read().await?.stranded_replies(owner.as_deref()).await?;
        let mut texts = Vec::with_capacity(stranded.len());
        for (id, spend_id, mut text) in stranded {
            let error = match journal.read_what_it_can(id).await {
                Some(saved) => {
                    text.push_str(&saved);
                    STOPPED_EARLY
                }
                None => UNREADABLE,
            };
            let tokens = crate::tokens::count(&text);
            texts.push((id, spend_id, text, tokens, error));
        }
        // One transaction per reply: a writer's replies may belong to many
        // accounts, and a transaction that changed two accounts' records
        // could deadlock another doing so in the other order (each account's
        // change-feed position is locked until commit; the server's schema
        // refuses such a transaction).
        for (id, spend_id, text, tokens, error) in texts {
            let mut refunds = ledger.begin_refunds().await?;
            // Another process may have recovered this reply meanwhile (on
            // Postgres this check locks the row until the commit).
            if !refunds.conn().is_streaming(id).await? {
                continue;
            }
            refunds
                .conn()
                .mark_interrupted(id, &text, tokens, error, now)
                .await?;
            if let (true, Some(spend_id)) = (text.is_empty(), spend_id) {
                refund_turn(&mut refunds, spend_id).await?;
            }
            refunds.commit().await?;
            recovered += 1;
            journal.remove(id).await;
        }
    }
    if recovered > 0 {
        tracing::info!(
            recovered,
            "replies left streaming by a stopped process were marked interrupted"
        );
    }
    Ok(recovered)
}

/// Deletes journals whose reply is no longer streaming (a crash between
/// finishing a reply and deleting its journal leaves one behind).
async fn remove_orphan_journals(db: &Db, journal: &ReplyJournal) -> Result<()> {
    for id in journal.ids().await {
        if !db.read().await?.is_streaming(id).await? {
            journal.remove(id).await;
        }
    }
    Ok(())
}
