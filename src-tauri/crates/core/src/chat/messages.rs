//! Message rows: the paid user message and paging through history.

use super::replies::{insert_reply, MESSAGE_SELECT};
use super::{
    page_size, title_from_message, ChatMessage, ChatSession, ChatStore, MessagePage, MessageStatus,
    Role, MESSAGE_COLUMNS,
};
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::ledger::{Action, EntryKind, Fingerprint, LedgerEntry, SpendRequest, Spent};
use crate::validate::{required_text, MAX_MESSAGE_CHARS};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// What [`ChatStore::pay_and_record`] wrote (or found, on a replay).
pub(crate) struct Paid {
    pub user_message: ChatMessage,
    /// The opened reply, when one was asked for; `None` on a replay (the
    /// key was used before and nothing new was written).
    pub reply: Option<ChatMessage>,
    pub spend: LedgerEntry,
}

/// A message to append to a session.
pub(crate) struct NewMessage<'a> {
    pub session_id: i64,
    pub role: Role,
    pub content: &'a str,
    pub status: MessageStatus,
    pub credits_used: i64,
    pub tokens: Option<i64>,
    pub spend_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// Appends a message; the first user message also titles an untitled session.
pub(crate) async fn insert_message(
    conn: &mut SqliteConnection,
    user_id: &str,
    m: NewMessage<'_>,
) -> Result<ChatMessage> {
    let sql = format!(
        "INSERT INTO chat_messages
            (session_id, user_id, role, content, status, credits_used, tokens, spend_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MESSAGE_COLUMNS}"
    );
    let message: ChatMessage = sqlx::query_as(&sql)
        .bind(m.session_id)
        .bind(user_id)
        .bind(m.role)
        .bind(m.content)
        .bind(m.status)
        .bind(m.credits_used)
        .bind(m.tokens)
        .bind(m.spend_id)
        .bind(m.at)
        .bind(m.at)
        .fetch_one(&mut *conn)
        .await?;
    if m.role == Role::User {
        sqlx::query("UPDATE chat_sessions SET title = ? WHERE id = ? AND title IS NULL")
            .bind(title_from_message(m.content))
            .bind(m.session_id)
            .execute(conn)
            .await?;
    }
    Ok(message)
}

impl ChatStore {
    /// Pays for a chat message and saves it, atomically: the balance check,
    /// the charge, its ledger row and the message commit together or not at
    /// all. Retrying with the same `idempotency_key` returns the first
    /// message and charges nothing; the key is bound to the session and the
    /// (trimmed) text, so reusing it for another message or session is an
    /// `idempotency_conflict`.
    pub async fn record_user_message(
        &self,
        session: &RecordRef,
        content: &str,
        idempotency_key: &str,
    ) -> Result<(ChatMessage, LedgerEntry)> {
        let paid = self
            .pay_and_record(session, content, idempotency_key, None)
            .await?;
        Ok((paid.user_message, paid.spend))
    }

    /// [`Self::record_user_message`]; with `reply_owner`, the same
    /// transaction also opens the `streaming` reply. Says whether the key
    /// was a replay.
    pub(crate) async fn pay_and_record(
        &self,
        session: &RecordRef,
        content: &str,
        idempotency_key: &str,
        reply_owner: Option<&str>,
    ) -> Result<Paid> {
        let content = required_text("message", content, MAX_MESSAGE_CHARS)?;
        let session = self.get_session(session).await?;
        let user_id = self.user_id.clone();
        let owner = reply_owner.map(str::to_string);
        let now = self.clock.now();
        // Counted before paying: the first count in a process loads the
        // tokenizer, far too slow to do while holding the write lock.
        let tokens = crate::tokens::count(&content);
        let request = SpendRequest {
            user_id: self.user_id.clone(),
            action: Action::ChatMessage,
            idempotency_key: idempotency_key.to_string(),
            reference: Some(session.display_id.clone()),
            fingerprint: Some(Fingerprint::chat_message(session.id, &content)),
        };
        let spent = self
            .ledger
            .spend_with(request, move |conn, spend_id| {
                Box::pin(async move {
                    let charged: i64 =
                        sqlx::query_scalar("SELECT -amount FROM credit_transactions WHERE id = ?")
                            .bind(spend_id)
                            .fetch_one(&mut *conn)
                            .await?;
                    let message = NewMessage {
                        session_id: session.id,
                        role: Role::User,
                        content: &content,
                        status: MessageStatus::Complete,
                        credits_used: charged,
                        tokens: Some(tokens),
                        spend_id: Some(spend_id),
                        at: now,
                    };
                    let user_message = insert_message(&mut *conn, &user_id, message).await?;
                    let reply = match owner {
                        Some(owner) => Some(
                            insert_reply(conn, &user_id, session.id, spend_id, &owner, now).await?,
                        ),
                        None => None,
                    };
                    Ok((user_message, reply))
                })
            })
            .await?;
        match spent {
            Spent::New {
                entry,
                value: (user_message, reply),
            } => Ok(Paid {
                user_message,
                reply,
                spend: entry,
            }),
            Spent::Replayed { entry } => {
                let sql = format!("SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE spend_id = ? AND role = 'user'");
                let message = sqlx::query_as(&sql)
                    .bind(entry.id)
                    .fetch_optional(self.db.pool())
                    .await?
                    .ok_or_else(|| Error::not_found("message paid by ledger entry", entry.id))?;
                Ok(Paid {
                    user_message: message,
                    reply: None,
                    spend: entry,
                })
            }
        }
    }

    /// The session whose message was paid for with `idempotency_key` (as
    /// given to [`Self::record_user_message`] or a send), if any.
    ///
    /// A key is bound to its session, so a retry must name the session of
    /// the first attempt to be the same request. A client that starts a new
    /// session per send (`banter-cli chat` without `--session`) looks the
    /// session up here first, so its retry replays the first exchange instead
    /// of opening another session and conflicting with the first.
    pub async fn session_paid_with(&self, idempotency_key: &str) -> Result<Option<ChatSession>> {
        let session_id: Option<i64> = sqlx::query_scalar(
            "SELECT m.session_id FROM credit_transactions t
               JOIN chat_messages m ON m.spend_id = t.id AND m.role = 'user'
              WHERE t.idempotency_key = ? AND t.user_id = ? AND t.action = 'chat_message'",
        )
        .bind(EntryKind::Spend.key(idempotency_key))
        .bind(&self.user_id)
        .fetch_optional(self.db.pool())
        .await?;
        match session_id {
            Some(id) => Ok(Some(self.get_session(&RecordRef::Id(id)).await?)),
            None => Ok(None),
        }
    }

    /// A page of messages in chronological order: the newest `limit`, or the
    /// `limit` just before message id `before`.
    pub async fn list_messages(
        &self,
        session: &RecordRef,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<MessagePage> {
        let session = self.get_session(session).await?;
        let limit = page_size(limit);
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.session_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?"
        );
        let messages: Vec<ChatMessage> = sqlx::query_as(&sql)
            .bind(session.id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit) + 1)
            .fetch_all(self.db.pool())
            .await?;
        let mut messages = self.with_streamed_text(messages).await?;
        let older_cursor = if messages.len() > limit as usize {
            messages.truncate(limit as usize);
            messages.last().map(|m| m.id)
        } else {
            None
        };
        messages.reverse();
        Ok(MessagePage {
            messages,
            older_cursor,
        })
    }
}
