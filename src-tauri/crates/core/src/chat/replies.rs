//! Assistant replies on disk while they stream.
//!
//! A reply starts as an empty `streaming` row stamped with its writer's
//! owner id. Its text is appended to the reply's journal file, one write per
//! batch (see [`super::journal`]); finishing writes the text into the
//! message once and deletes the journal. After a crash the journal is still
//! there, and [`recover_interrupted`] turns it into an `interrupted` reply.

use super::journal::{JournalWriter, ReplyJournal};
use super::sessions::fetch_session;
use super::{ChatMessage, ChatSession, ChatStore, MessageStatus, Role, MESSAGE_COLUMNS};
use crate::db::Db;
use crate::error::Result;
use crate::ledger::{Balance, Ledger, Refunds};
use crate::liveness;
use crate::providers::TokenUsage;
use chrono::{DateTime, Utc};
use std::path::Path;

/// Reads messages; a `streaming` reply's text is in its journal, so readers
/// pass what they fetch through [`ChatStore::with_streamed_text`].
pub(crate) const MESSAGE_SELECT: &str = "SELECT m.id, m.session_id, m.role, m.content,
        m.tokens, m.credits_used, m.status, m.error, m.created_at, m.updated_at
   FROM chat_messages m";

/// How a reply ended, for [`ChatStore::finish_reply`].
pub(crate) struct ReplyEnd<'a> {
    pub content: &'a str,
    pub status: MessageStatus,
    pub tokens: i64,
    pub usage: Option<TokenUsage>,
    pub error: Option<&'a str>,
}

impl ChatStore {
    /// Removes a message (a reply replaced by a regenerated one). Its ledger
    /// rows stay: the ledger is append-only.
    pub(crate) async fn delete_message(&self, message_id: i64) -> Result<()> {
        let delete = sqlx::query("DELETE FROM chat_messages WHERE id = ?").bind(message_id);
        self.db.write_one(delete).await?;
        Ok(())
    }

    /// The last user message and the reply after it, for regenerating.
    pub(crate) async fn last_exchange(
        &self,
        session_id: i64,
    ) -> Result<(ChatMessage, ChatMessage)> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.session_id = ? ORDER BY m.id DESC LIMIT 2");
        let last: Vec<ChatMessage> = sqlx::query_as(&sql)
            .bind(session_id)
            .fetch_all(self.db.pool())
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
    pub(crate) async fn open_journal(&self, message_id: i64) -> Result<JournalWriter> {
        self.journal.create(message_id).await
    }

    /// Writes the final text and status at once, then drops the journal.
    /// Returns the reply, its session and the balance as they are now.
    pub(crate) async fn finish_reply(&self, message_id: i64, end: ReplyEnd<'_>) -> Result<Ended> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "UPDATE chat_messages
                SET content = ?, status = ?, tokens = ?, prompt_tokens = ?, reasoning_tokens = ?,
                    error = ?, stream_owner = NULL, updated_at = ?
              WHERE id = ?",
        )
        .bind(end.content)
        .bind(end.status)
        .bind(end.tokens)
        .bind(end.usage.map(|u| u.prompt_tokens))
        .bind(end.usage.map(|u| u.reasoning_tokens))
        .bind(end.error)
        .bind(self.clock.now())
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
        let reply = fetch_message(&mut tx, message_id).await?;
        let session = fetch_session(&mut tx, reply.session_id).await?;
        let balance = self.ledger.balance_in(&mut tx, &self.user_id).await?;
        tx.commit().await?;
        self.journal.remove(message_id).await;
        Ok(Ended {
            reply,
            session,
            balance: Some(balance),
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
        sqlx::query(
            "UPDATE chat_messages
                SET status = ?, error = ?, content = COALESCE(?, content),
                    tokens = COALESCE(?, tokens), stream_owner = NULL, updated_at = ?
              WHERE id = ?",
        )
        .bind(status)
        .bind(error)
        .bind(content)
        .bind(tokens)
        .bind(self.clock.now())
        .bind(message_id)
        .execute(refunds.conn())
        .await?;
        let refunded = refund_turn(&mut refunds, spend_id).await?;
        let reply = fetch_message(refunds.conn(), message_id).await?;
        let session = fetch_session(refunds.conn(), reply.session_id).await?;
        let balance = refunds.commit().await?;
        self.journal.remove(message_id).await;
        Ok(Ended {
            reply,
            session,
            balance,
            refunded,
        })
    }

    /// The `streaming` replies' owners in a session (the writers that hold it).
    pub(crate) async fn stream_owners(&self, session_id: i64) -> Result<Vec<Option<String>>> {
        Ok(sqlx::query_scalar(
            "SELECT stream_owner FROM chat_messages WHERE session_id = ? AND status = 'streaming'",
        )
        .bind(session_id)
        .fetch_all(self.db.pool())
        .await?)
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
async fn refund_turn(refunds: &mut Refunds<'_>, spend_id: i64) -> Result<bool> {
    let receipt = refunds.refund(spend_id).await?;
    sqlx::query("UPDATE chat_messages SET credits_used = 0 WHERE spend_id = ? AND role = 'user'")
        .bind(spend_id)
        .execute(refunds.conn())
        .await?;
    Ok(!receipt.replayed)
}

/// Opens an empty `streaming` assistant reply paid for by `spend_id`, in the
/// caller's transaction (the one that pays), so a crash can never leave a
/// charge without a reply for recovery to find.
pub(crate) async fn insert_reply(
    conn: &mut sqlx::SqliteConnection,
    user_id: &str,
    session_id: i64,
    spend_id: i64,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<ChatMessage> {
    let sql = format!(
        "INSERT INTO chat_messages
            (session_id, user_id, role, content, status, spend_id, stream_owner, created_at, updated_at)
         VALUES (?, ?, ?, '', 'streaming', ?, ?, ?, ?) RETURNING {MESSAGE_COLUMNS}"
    );
    Ok(sqlx::query_as(&sql)
        .bind(session_id)
        .bind(user_id)
        .bind(Role::Assistant)
        .bind(spend_id)
        .bind(owner)
        .bind(now)
        .bind(now)
        .fetch_one(conn)
        .await?)
}

/// Reads one message as stored (a `streaming` reply's text is not filled in).
pub(crate) async fn fetch_message(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
) -> Result<ChatMessage> {
    let sql = format!("{MESSAGE_SELECT} WHERE m.id = ?");
    sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| crate::Error::not_found("message", id))
}

/// The error of a reply recovered at start-up.
const STOPPED_EARLY: &str = "Banter stopped before the reply finished";
/// …and of one whose saved text could not be read.
const UNREADABLE: &str =
    "Banter stopped before the reply finished, and the text saved for it could not be read";

/// At start-up: replies left `streaming` by a process that is gone become
/// `interrupted` with the text they had. One that had no text yet delivered
/// nothing, so its send is refunded. A journal that cannot be read costs
/// only its own text (the reply is kept with what the row has, and refunded
/// if that is nothing), never the start-up. Returns how many replies were
/// recovered.
pub(crate) async fn recover_interrupted(
    db: &Db,
    ledger: &Ledger,
    journal: &ReplyJournal,
    run_dir: &Path,
    now: DateTime<Utc>,
) -> Result<u32> {
    let owners: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT DISTINCT stream_owner FROM chat_messages WHERE status = 'streaming'",
    )
    .fetch_all(db.pool())
    .await?;
    let mut recovered = 0;
    for owner in owners {
        if owner
            .as_deref()
            .is_some_and(|o| !liveness::owner_is_gone(run_dir, o))
        {
            continue;
        }
        // Read the journals and count tokens first: nothing slow runs while
        // the write lock is held. The owner is gone, so nobody appends now.
        let stranded: Vec<(i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT id, spend_id, content FROM chat_messages
              WHERE status = 'streaming' AND stream_owner IS ?",
        )
        .bind(&owner)
        .fetch_all(db.pool())
        .await?;
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
        let mut refunds = ledger.begin_refunds().await?;
        let mut done = Vec::new();
        for (id, spend_id, text, tokens, error) in texts {
            // Another process may have recovered this reply meanwhile.
            let still: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM chat_messages WHERE id = ? AND status = 'streaming'",
            )
            .bind(id)
            .fetch_optional(refunds.conn())
            .await?;
            if still.is_none() {
                continue;
            }
            sqlx::query(
                "UPDATE chat_messages SET content = ?, status = 'interrupted', tokens = ?,
                        error = ?, stream_owner = NULL, updated_at = ?
                  WHERE id = ?",
            )
            .bind(&text)
            .bind(tokens)
            .bind(error)
            .bind(now)
            .bind(id)
            .execute(refunds.conn())
            .await?;
            if let (true, Some(spend_id)) = (text.is_empty(), spend_id) {
                refund_turn(&mut refunds, spend_id).await?;
            }
            recovered += 1;
            done.push(id);
        }
        refunds.commit().await?;
        for id in done {
            journal.remove(id).await;
        }
    }
    remove_orphan_journals(db, journal).await?;
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
        let streaming: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM chat_messages WHERE id = ? AND status = 'streaming'")
                .bind(id)
                .fetch_optional(db.pool())
                .await?;
        if streaming.is_none() {
            journal.remove(id).await;
        }
    }
    Ok(())
}
