//! Message rows: appending a message and paging through history.

use super::replies::MESSAGE_SELECT;
use super::{
    page_size, title_from_message, ChatMessage, ChatSession, ChatStore, MessagePage, MessageStatus,
    Role, MESSAGE_COLUMNS,
};
use crate::error::Result;
use crate::ids::RecordRef;
use crate::ledger::EntryKind;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

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
