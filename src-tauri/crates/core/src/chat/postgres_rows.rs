//! The chat store's statements on the server's Postgres (see [`super::rows`];
//! schema in `migrations/postgres/`). Display ids are numbered per account
//! (`counters` is keyed by user), so every account has its own `CH-000001`.

use super::messages::NewMessage;
use super::postgres_journal::PgJournal;
use super::replies::ReplyEnd;
use super::rows::{ChatBackend, ChatRows, StrandedReply};
use super::{ChatMessage, ChatSession, MessageStatus, Role, MESSAGE_COLUMNS, SESSION_COLUMNS};
use crate::db::postgres::PgStore;
use crate::error::{Error, Result};
use crate::ids::{display_id, IdKind, RecordRef};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// The message columns of [`ChatMessage`], for queries over `chat_messages m`.
const MESSAGE_SELECT: &str = "SELECT m.id, m.session_id, m.role, m.content,
        m.tokens, m.credits_used, m.status, m.error, m.created_at, m.updated_at
   FROM chat_messages m";

impl ChatBackend for PgStore {
    type Journal = PgJournal;
}

impl ChatRows for PgConnection {
    async fn create_session(
        &mut self,
        user_id: &str,
        title: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ChatSession> {
        let value: i64 = sqlx::query_scalar(
            "INSERT INTO counters (user_id, name, value) VALUES ($1, $2, 1)
             ON CONFLICT (user_id, name) DO UPDATE SET value = counters.value + 1
             RETURNING value",
        )
        .bind(user_id)
        .bind(IdKind::ChatSession.prefix())
        .fetch_one(&mut *self)
        .await?;
        let sql = format!(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING {SESSION_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(display_id(IdKind::ChatSession, value))
            .bind(title)
            .bind(now)
            .fetch_one(self)
            .await?)
    }

    async fn get_session(
        &mut self,
        user_id: &str,
        session: &RecordRef,
    ) -> Result<Option<ChatSession>> {
        let (id, display) = session.binds();
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM chat_sessions
              WHERE user_id = $1 AND (id = $2 OR display_id = $3)"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self)
            .await?)
    }

    async fn fetch_session(&mut self, id: i64) -> Result<ChatSession> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM chat_sessions WHERE id = $1");
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(self)
            .await?
            .ok_or_else(|| Error::not_found("chat session", id))
    }

    async fn list_sessions(
        &mut self,
        user_id: &str,
        after: Option<(DateTime<Utc>, i64)>,
        limit: i64,
    ) -> Result<Vec<ChatSession>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM chat_sessions
              WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (updated_at, id) < ($2, $3))
              ORDER BY updated_at DESC, id DESC LIMIT $4"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(after.map(|(time, _)| time))
            .bind(after.map_or(i64::MAX, |(_, id)| id))
            .bind(limit)
            .fetch_all(self)
            .await?)
    }

    async fn rename_session(
        &mut self,
        user_id: &str,
        session: &RecordRef,
        title: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ChatSession>> {
        let (id, display) = session.binds();
        let sql = format!(
            "UPDATE chat_sessions SET title = $1, updated_at = $2
              WHERE user_id = $3 AND (id = $4 OR display_id = $5)
              RETURNING {SESSION_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(title)
            .bind(now)
            .bind(user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self)
            .await?)
    }

    async fn delete_session(
        &mut self,
        user_id: &str,
        session: &RecordRef,
    ) -> Result<Option<ChatSession>> {
        let (id, display) = session.binds();
        let sql = format!(
            "DELETE FROM chat_sessions WHERE user_id = $1 AND (id = $2 OR display_id = $3)
              RETURNING {SESSION_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self)
            .await?)
    }

    async fn discard_session_if_empty(&mut self, user_id: &str, id: i64) -> Result<()> {
        sqlx::query(
            "DELETE FROM chat_sessions WHERE id = $1 AND user_id = $2 AND message_count = 0",
        )
        .bind(id)
        .bind(user_id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn session_paid_with(&mut self, user_id: &str, stored_key: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT m.session_id FROM credit_transactions t
               JOIN chat_messages m ON m.spend_id = t.id AND m.role = 'user'
              WHERE t.idempotency_key = $1 AND t.user_id = $2 AND t.action = 'chat_message'",
        )
        .bind(stored_key)
        .bind(user_id)
        .fetch_optional(self)
        .await?)
    }

    async fn insert_message(
        &mut self,
        user_id: &str,
        m: NewMessage<'_>,
        title: Option<&str>,
    ) -> Result<ChatMessage> {
        let sql = format!(
            "INSERT INTO chat_messages
                (session_id, user_id, role, content, status, credits_used, tokens, spend_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {MESSAGE_COLUMNS}"
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
            .fetch_one(&mut *self)
            .await?;
        if let Some(title) = title {
            sqlx::query("UPDATE chat_sessions SET title = $1 WHERE id = $2 AND title IS NULL")
                .bind(title)
                .bind(m.session_id)
                .execute(self)
                .await?;
        }
        Ok(message)
    }

    async fn insert_reply(
        &mut self,
        user_id: &str,
        session_id: i64,
        spend_id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<ChatMessage> {
        let sql = format!(
            "INSERT INTO chat_messages
                (session_id, user_id, role, content, status, spend_id, stream_owner, created_at, updated_at)
             VALUES ($1, $2, $3, '', 'streaming', $4, $5, $6, $6) RETURNING {MESSAGE_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(session_id)
            .bind(user_id)
            .bind(Role::Assistant)
            .bind(spend_id)
            .bind(owner)
            .bind(now)
            .fetch_one(self)
            .await?)
    }

    async fn fetch_message(&mut self, id: i64) -> Result<ChatMessage> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.id = $1");
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(self)
            .await?
            .ok_or_else(|| Error::not_found("message", id))
    }

    async fn messages_before(
        &mut self,
        session_id: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ChatMessage>> {
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.session_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
        );
        Ok(sqlx::query_as(&sql)
            .bind(session_id)
            .bind(before)
            .bind(limit)
            .fetch_all(self)
            .await?)
    }

    async fn messages_paid_by(&mut self, spend_id: i64) -> Result<Vec<ChatMessage>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.spend_id = $1 ORDER BY m.id");
        Ok(sqlx::query_as(&sql).bind(spend_id).fetch_all(self).await?)
    }

    async fn delete_message(&mut self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM chat_messages WHERE id = $1")
            .bind(id)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn prompt_history(
        &mut self,
        session_id: i64,
        before_id: i64,
        limit: i64,
    ) -> Result<Vec<(Role, String)>> {
        Ok(sqlx::query_as(
            "SELECT role, content FROM chat_messages
              WHERE session_id = $1 AND id < $2 AND role IN ('user', 'assistant') AND content != ''
                AND status IN ('complete', 'stopped', 'interrupted')
              ORDER BY id DESC LIMIT $3",
        )
        .bind(session_id)
        .bind(before_id)
        .bind(limit)
        .fetch_all(self)
        .await?)
    }

    async fn finish_reply(
        &mut self,
        id: i64,
        end: &ReplyEnd<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE chat_messages
                SET content = $1, status = $2, tokens = $3, prompt_tokens = $4, reasoning_tokens = $5,
                    error = $6, stream_owner = NULL, updated_at = $7
              WHERE id = $8",
        )
        .bind(end.content)
        .bind(end.status)
        .bind(end.tokens)
        .bind(end.usage.map(|u| u.prompt_tokens))
        .bind(end.usage.map(|u| u.reasoning_tokens))
        .bind(end.error)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn end_refunded_reply(
        &mut self,
        id: i64,
        status: MessageStatus,
        error: &str,
        content: Option<&str>,
        tokens: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE chat_messages
                SET status = $1, error = $2, content = COALESCE($3, content),
                    tokens = COALESCE($4, tokens), stream_owner = NULL, updated_at = $5
              WHERE id = $6",
        )
        .bind(status)
        .bind(error)
        .bind(content)
        .bind(tokens)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn unbill_user_message(&mut self, spend_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE chat_messages SET credits_used = 0 WHERE spend_id = $1 AND role = 'user'",
        )
        .bind(spend_id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn stream_owners(&mut self, session_id: i64) -> Result<Vec<Option<String>>> {
        Ok(sqlx::query_scalar(
            "SELECT stream_owner FROM chat_messages WHERE session_id = $1 AND status = 'streaming'",
        )
        .bind(session_id)
        .fetch_all(self)
        .await?)
    }

    async fn lock_stream_owners(&mut self, session_id: i64) -> Result<Vec<Option<String>>> {
        sqlx::query("SELECT 1 FROM chat_sessions WHERE id = $1 FOR UPDATE")
            .bind(session_id)
            .execute(&mut *self)
            .await?;
        self.stream_owners(session_id).await
    }

    async fn streaming_owners(&mut self) -> Result<Vec<Option<String>>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT stream_owner FROM chat_messages WHERE status = 'streaming'",
        )
        .fetch_all(self)
        .await?)
    }

    async fn stranded_replies(&mut self, owner: Option<&str>) -> Result<Vec<StrandedReply>> {
        Ok(sqlx::query_as(
            "SELECT id, spend_id, content FROM chat_messages
              WHERE status = 'streaming' AND stream_owner IS NOT DISTINCT FROM $1
              ORDER BY id",
        )
        .bind(owner)
        .fetch_all(self)
        .await?)
    }

    async fn is_streaming(&mut self, id: i64) -> Result<bool> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM chat_messages WHERE id = $1 AND status = 'streaming' FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(self)
        .await?;
        Ok(found.is_some())
    }

    async fn mark_interrupted(
        &mut self,
        id: i64,
        text: &str,
        tokens: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE chat_messages SET content = $1, status = 'interrupted', tokens = $2,
                    error = $3, stream_owner = NULL, updated_at = $4
              WHERE id = $5",
        )
        .bind(text)
        .bind(tokens)
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }
}
