//! The chat store's statements on the desktop's SQLite (see [`super::rows`]).

use super::journal::ReplyJournal;
use super::messages::NewMessage;
use super::replies::ReplyEnd;
use super::rows::{
    path_cte, path_length, ChatBackend, ChatRows, FinishedReply, ForReply, HistoryEnd, Owners,
    StrandedReply, HAS_FILES,
};
use super::settings::SessionSettings;
use super::{ChatMessage, ChatSession, MessageStatus, Role, MESSAGE_COLUMNS, SESSION_COLUMNS};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::{next_display_id, IdKind, RecordRef};
use crate::ledger::rows::LedgerRows;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// The message columns of [`ChatMessage`], for queries over `chat_messages m`.
const MESSAGE_SELECT: &str = "SELECT m.id, m.session_id, m.role, m.content,
        m.tokens, m.credits_used, m.status, m.error, m.created_at, m.updated_at, m.parent_id,
        m.model, m.reasoning_effort
   FROM chat_messages m";

/// The session's active leaf, `?1` its id: the newest message when none is
/// recorded or the one recorded is not here (a device's copy may hold only
/// the pages it was shown).
const ACTIVE_LEAF: &str = "(SELECT COALESCE(
        (SELECT id FROM chat_messages WHERE id = s.active_leaf_id AND session_id = s.id),
        (SELECT MAX(id) FROM chat_messages WHERE session_id = s.id))
   FROM chat_sessions s WHERE s.id = ?1)";

impl ChatBackend for Db {
    type Journal = ReplyJournal;
}

impl ChatRows for SqliteConnection {
    async fn create_session(
        &mut self,
        user_id: &str,
        title: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ChatSession> {
        let display_id = next_display_id(self, IdKind::ChatSession).await?;
        let sql = format!(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?) RETURNING {SESSION_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(&display_id)
            .bind(title)
            .bind(now)
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
              WHERE user_id = ? AND (id = ? OR display_id = ?)"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self)
            .await?)
    }

    async fn get_session_and_owners(
        &mut self,
        user_id: &str,
        session: &RecordRef,
    ) -> Result<Option<(ChatSession, Owners)>> {
        let Some(found) = self.get_session(user_id, session).await? else {
            return Ok(None);
        };
        let owners = self.stream_owners(found.id).await?;
        Ok(Some((found, owners)))
    }

    async fn fetch_session(&mut self, id: i64) -> Result<ChatSession> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM chat_sessions WHERE id = ?");
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
        // Times are stored as fixed-width RFC 3339 text, so they compare as
        // text; "~" sorts after every digit, i.e. "no cursor".
        let (after_time, after_id) = match after {
            Some((time, id)) => (
                time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
                id,
            ),
            None => ("~".to_string(), i64::MAX),
        };
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM chat_sessions
              WHERE user_id = ? AND (updated_at, id) < (?, ?)
              ORDER BY updated_at DESC, id DESC LIMIT ?"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(after_time)
            .bind(after_id)
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
            "UPDATE chat_sessions SET title = ?, updated_at = ?
              WHERE user_id = ? AND (id = ? OR display_id = ?)
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

    async fn set_session_settings(
        &mut self,
        user_id: &str,
        session: &RecordRef,
        settings: &SessionSettings,
        keep_model: bool,
    ) -> Result<Option<ChatSession>> {
        let (id, display) = session.binds();
        let sql = format!(
            "UPDATE chat_sessions SET system_prompt = ?, reasoning_effort = ?,
                    model = CASE WHEN ? THEN model ELSE ? END
              WHERE user_id = ? AND (id = ? OR display_id = ?)
              RETURNING {SESSION_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(settings.system_prompt.as_deref())
            .bind(settings.reasoning_effort)
            .bind(keep_model)
            .bind(settings.model.as_deref())
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
            "DELETE FROM chat_sessions WHERE user_id = ? AND (id = ? OR display_id = ?)
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
        sqlx::query("DELETE FROM chat_sessions WHERE id = ? AND user_id = ? AND message_count = 0")
            .bind(id)
            .bind(user_id)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn session_paid_with(
        &mut self,
        user_id: &str,
        stored_key: &str,
    ) -> Result<Option<ChatSession>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.display_id, s.title, s.created_at, s.updated_at, s.message_count,
                    s.active_leaf_id, s.system_prompt, s.reasoning_effort, s.model
               FROM credit_transactions t
               JOIN chat_messages m ON m.spend_id = t.id AND m.role = 'user'
               JOIN chat_sessions s ON s.id = m.session_id AND s.user_id = t.user_id
              WHERE t.idempotency_key = ? AND t.user_id = ? AND t.action = 'chat_message'",
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
                (session_id, user_id, role, content, status, credits_used, tokens, spend_id,
                 created_at, updated_at, parent_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MESSAGE_COLUMNS}"
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
            .bind(m.parent_id)
            .fetch_one(&mut *self)
            .await?;
        if let Some(title) = title {
            sqlx::query("UPDATE chat_sessions SET title = ? WHERE id = ? AND title IS NULL")
                .bind(title)
                .bind(m.session_id)
                .execute(&mut *self)
                .await?;
        }
        move_leaf(self, m.session_id, message.id).await?;
        Ok(message)
    }

    async fn insert_exchange(
        &mut self,
        user_id: &str,
        m: NewMessage<'_>,
        title: Option<&str>,
        owner: &str,
    ) -> Result<(ChatMessage, ChatMessage)> {
        let (session_id, spend_id, at) = (m.session_id, m.spend_id, m.at);
        let message = self.insert_message(user_id, m, title).await?;
        let reply =
            insert_streaming_reply(self, user_id, (session_id, message.id), spend_id, owner, at)
                .await?;
        Ok((message, reply))
    }

    async fn insert_reply(
        &mut self,
        user_id: &str,
        session_id: i64,
        question: i64,
        spend_id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<ChatMessage> {
        insert_streaming_reply(
            self,
            user_id,
            (session_id, question),
            Some(spend_id),
            owner,
            now,
        )
        .await
    }

    async fn fetch_message(&mut self, id: i64) -> Result<ChatMessage> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.id = ?");
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
            "WITH RECURSIVE {}
             {MESSAGE_SELECT} JOIN path ON path.id = m.id
              WHERE m.session_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3",
            path_cte(ACTIVE_LEAF)
        );
        Ok(sqlx::query_as(&sql)
            .bind(session_id)
            .bind(before)
            .bind(limit)
            .fetch_all(self)
            .await?)
    }

    async fn session_messages(&mut self, session_id: i64) -> Result<Vec<ChatMessage>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.session_id = ? ORDER BY m.id");
        Ok(sqlx::query_as(&sql)
            .bind(session_id)
            .fetch_all(self)
            .await?)
    }

    async fn message_links(&mut self, session_id: i64) -> Result<Vec<(i64, Option<i64>)>> {
        Ok(sqlx::query_as(
            "SELECT id, parent_id FROM chat_messages WHERE session_id = ? ORDER BY id",
        )
        .bind(session_id)
        .fetch_all(self)
        .await?)
    }

    async fn set_active_leaf(
        &mut self,
        user_id: &str,
        session_id: i64,
        leaf: i64,
    ) -> Result<Option<ChatSession>> {
        let sql = format!(
            "UPDATE chat_sessions SET active_leaf_id = ?1, message_count = {}
              WHERE id = ?2 AND user_id = ?3 RETURNING {SESSION_COLUMNS}",
            path_length("?1")
        );
        Ok(sqlx::query_as(&sql)
            .bind(leaf)
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(self)
            .await?)
    }

    async fn messages_paid_by(&mut self, spend_id: i64) -> Result<Vec<ChatMessage>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.spend_id = ? ORDER BY m.id");
        Ok(sqlx::query_as(&sql).bind(spend_id).fetch_all(self).await?)
    }

    async fn finish_reply(
        &mut self,
        user_id: &str,
        id: i64,
        end: &ReplyEnd<'_>,
        now: DateTime<Utc>,
    ) -> Result<FinishedReply> {
        let ended = sqlx::query(
            "UPDATE chat_messages
                SET content = ?, status = ?, tokens = ?, prompt_tokens = ?, reasoning_tokens = ?,
                    error = ?, stream_owner = NULL, updated_at = ?, model = ?, reasoning_effort = ?
              WHERE id = ? AND status = 'streaming'",
        )
        .bind(end.content)
        .bind(end.status)
        .bind(end.tokens)
        .bind(end.usage.map(|u| u.prompt_tokens))
        .bind(end.usage.map(|u| u.reasoning_tokens))
        .bind(end.error)
        .bind(now)
        .bind(end.model)
        .bind(end.reasoning_effort)
        .bind(id)
        .execute(&mut *self)
        .await?;
        if ended.rows_affected() == 0 {
            return Err(Error::not_found("streaming reply", id));
        }
        // Under the write lock nothing changes between these statements.
        let reply = self.fetch_message(id).await?;
        let session = self.fetch_session(reply.session_id).await?;
        let usage = self.load_usage(user_id).await?;
        Ok(FinishedReply {
            reply,
            session,
            usage,
        })
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
                SET status = ?, error = ?, content = COALESCE(?, content),
                    tokens = COALESCE(?, tokens), stream_owner = NULL, updated_at = ?
              WHERE id = ? AND status = 'streaming'",
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
            "UPDATE chat_messages SET credits_used = 0 WHERE spend_id = ? AND role = 'user'",
        )
        .bind(spend_id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn stream_owners(&mut self, session_id: i64) -> Result<Owners> {
        Ok(sqlx::query_scalar(
            "SELECT stream_owner FROM chat_messages WHERE session_id = ? AND status = 'streaming'",
        )
        .bind(session_id)
        .fetch_all(self)
        .await?)
    }

    async fn lock_for_reply(
        &mut self,
        session_id: i64,
        end: HistoryEnd,
        history_limit: i64,
    ) -> Result<ForReply> {
        // A SQLite write transaction already holds the database's one write
        // lock (`BEGIN IMMEDIATE`): no other writer runs until it ends.
        let owners = self.stream_owners(session_id).await?;
        let leaf = match end {
            HistoryEnd::At(leaf) => leaf,
            HistoryEnd::ActiveLeaf => {
                sqlx::query_scalar::<_, Option<i64>>(&format!("SELECT {ACTIVE_LEAF}"))
                    .bind(session_id)
                    .fetch_optional(&mut *self)
                    .await?
                    .flatten()
            }
        };
        // Whether a message has files is asked only of the `history_limit`
        // messages kept (the outer query), not of every message on a long
        // chat's path while the write lock is held.
        let sql = format!(
            "WITH RECURSIVE {},
             recent AS (
                 SELECT m.id, m.role, m.content
                   FROM chat_messages m JOIN path ON path.id = m.id
                  WHERE m.session_id = ?2 AND m.role IN ('user', 'assistant') AND m.content != ''
                    AND m.status IN ('complete', 'stopped', 'interrupted')
                  ORDER BY m.id DESC LIMIT ?3)
             SELECT m.id, m.role, m.content, {HAS_FILES} AS has_files
               FROM recent m ORDER BY m.id DESC",
            path_cte("?1")
        );
        let history = sqlx::query_as(&sql)
            .bind(leaf)
            .bind(session_id)
            .bind(history_limit)
            .fetch_all(self)
            .await?;
        Ok(ForReply {
            owners,
            leaf,
            history,
        })
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
              WHERE status = 'streaming' AND stream_owner IS ?
              ORDER BY id",
        )
        .bind(owner)
        .fetch_all(self)
        .await?)
    }

    async fn is_streaming(&mut self, id: i64) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM chat_messages WHERE id = ? AND status = 'streaming'")
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
            "UPDATE chat_messages SET content = ?, status = 'interrupted', tokens = ?,
                    error = ?, stream_owner = NULL, updated_at = ?
              WHERE id = ?",
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

/// An empty `streaming` reply to `question` in `session_id`, written by
/// `owner` and paid by `spend_id`; it becomes the active leaf.
async fn insert_streaming_reply(
    conn: &mut SqliteConnection,
    user_id: &str,
    (session_id, question): (i64, i64),
    spend_id: Option<i64>,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<ChatMessage> {
    let sql = format!(
        "INSERT INTO chat_messages
            (session_id, user_id, role, content, status, spend_id, stream_owner, created_at,
             updated_at, parent_id)
         VALUES (?, ?, ?, '', 'streaming', ?, ?, ?, ?, ?) RETURNING {MESSAGE_COLUMNS}"
    );
    let reply: ChatMessage = sqlx::query_as(&sql)
        .bind(session_id)
        .bind(user_id)
        .bind(Role::Assistant)
        .bind(spend_id)
        .bind(owner)
        .bind(now)
        .bind(now)
        .bind(question)
        .fetch_one(&mut *conn)
        .await?;
    move_leaf(conn, session_id, reply.id).await?;
    Ok(reply)
}

/// Makes the message just written the session's active leaf.
async fn move_leaf(conn: &mut SqliteConnection, session_id: i64, leaf: i64) -> Result<()> {
    let sql = format!(
        "UPDATE chat_sessions SET active_leaf_id = ?1, message_count = {} WHERE id = ?2",
        path_length("?1")
    );
    sqlx::query(&sql)
        .bind(leaf)
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets `message_count` of session `session_id` to the length of its active
/// path as this database holds it: a device's copy of a hosted account
/// counts the sessions the change feed brought itself.
pub(crate) async fn recount_active_path(
    conn: &mut SqliteConnection,
    session_id: i64,
) -> Result<()> {
    let sql = format!(
        "UPDATE chat_sessions SET message_count = {} WHERE id = ?1",
        path_length(ACTIVE_LEAF)
    );
    sqlx::query(&sql).bind(session_id).execute(conn).await?;
    Ok(())
}
