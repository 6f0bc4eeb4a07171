//! Assistant replies on disk while they stream.
//!
//! A reply starts as an empty `streaming` row stamped with its writer's
//! owner id. Text is appended as chunk rows, one per batch, so each write
//! costs the batch, not the whole reply; finishing folds the chunks into the
//! message and deletes them. After a crash the chunks are still there, and
//! [`recover_interrupted`] turns them into an `interrupted` reply.

use super::{ChatMessage, ChatStore, MessageStatus, Role, MESSAGE_COLUMNS};
use crate::db::Db;
use crate::error::Result;
use crate::ledger::Ledger;
use crate::liveness;
use crate::providers::TokenUsage;
use chrono::{DateTime, Utc};
use std::path::Path;

/// Reads a message with the text streamed so far for a `streaming` reply.
pub(crate) const MESSAGE_SELECT: &str = "SELECT m.id, m.session_id, m.role,
        CASE WHEN m.status = 'streaming'
             THEN COALESCE((SELECT group_concat(c.content, '' ORDER BY c.seq)
                              FROM chat_message_chunks c WHERE c.message_id = m.id), '')
             ELSE m.content END AS content,
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
        sqlx::query("DELETE FROM chat_messages WHERE id = ?")
            .bind(message_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// The last user message and the reply after it, for regenerating.
    pub(crate) async fn last_exchange(
        &self,
        session_id: i64,
    ) -> Result<(ChatMessage, ChatMessage)> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.session_id = ? ORDER BY m.id DESC LIMIT 2");
        let mut last: Vec<ChatMessage> = sqlx::query_as(&sql)
            .bind(session_id)
            .fetch_all(self.db.pool())
            .await?;
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

    /// Appends one batch of reply text as chunk `seq`.
    pub(crate) async fn append_chunk(&self, message_id: i64, seq: i64, text: &str) -> Result<()> {
        sqlx::query("INSERT INTO chat_message_chunks (message_id, seq, content) VALUES (?, ?, ?)")
            .bind(message_id)
            .bind(seq)
            .bind(text)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Writes the final text and status, and drops the chunks, at once.
    pub(crate) async fn finish_reply(
        &self,
        message_id: i64,
        end: ReplyEnd<'_>,
    ) -> Result<ChatMessage> {
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
        sqlx::query("DELETE FROM chat_message_chunks WHERE message_id = ?")
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        let message = fetch_message(&mut tx, message_id).await?;
        tx.commit().await?;
        Ok(message)
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
    ) -> Result<(ChatMessage, bool)> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "UPDATE chat_messages SET status = ?, error = ?, stream_owner = NULL, updated_at = ?
              WHERE id = ?",
        )
        .bind(status)
        .bind(error)
        .bind(self.clock.now())
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM chat_message_chunks WHERE message_id = ?")
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        let (receipt, total) = self.ledger.refund_in(&mut tx, spend_id).await?;
        // The user's message no longer cost anything.
        sqlx::query(
            "UPDATE chat_messages SET credits_used = 0 WHERE spend_id = ? AND role = 'user'",
        )
        .bind(spend_id)
        .execute(&mut *tx)
        .await?;
        let message = fetch_message(&mut tx, message_id).await?;
        tx.commit().await?;
        if let Some(total) = total {
            self.ledger.announce(&receipt.entry, total);
        }
        Ok((message, !receipt.replayed))
    }
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

/// At start-up: replies left `streaming` by a process that is gone become
/// `interrupted` with the text they had. One that had no text yet delivered
/// nothing, so its send is refunded. Returns how many replies were recovered.
pub async fn recover_interrupted(
    db: &Db,
    ledger: &Ledger,
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
        let mut tx = db.begin_write().await?;
        let stranded: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, spend_id FROM chat_messages WHERE status = 'streaming' AND stream_owner IS ?",
        )
        .bind(&owner)
        .fetch_all(&mut *tx)
        .await?;
        for (id, spend_id) in stranded {
            let text: String = sqlx::query_scalar(
                "SELECT COALESCE(group_concat(content, '' ORDER BY seq), '')
                   FROM chat_message_chunks WHERE message_id = ?",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE chat_messages SET content = ?, status = 'interrupted', tokens = ?,
                        error = 'Banter stopped before the reply finished', stream_owner = NULL,
                        updated_at = ?
                  WHERE id = ?",
            )
            .bind(&text)
            .bind(crate::tokens::count(&text))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM chat_message_chunks WHERE message_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let (true, Some(spend_id)) = (text.is_empty(), spend_id) {
                ledger.refund_in(&mut tx, spend_id).await?;
                sqlx::query("UPDATE chat_messages SET credits_used = 0 WHERE spend_id = ? AND role = 'user'")
                    .bind(spend_id)
                    .execute(&mut *tx)
                    .await?;
            }
            recovered += 1;
        }
        tx.commit().await?;
    }
    if recovered > 0 {
        tracing::info!(
            recovered,
            "replies left streaming by a stopped process were marked interrupted"
        );
    }
    Ok(recovered)
}
