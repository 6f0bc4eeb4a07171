//! The chat store's statements on the server's Postgres (see [`super::rows`];
//! schema in `migrations/postgres/`). Display ids are numbered per account
//! (`counters` is keyed by user), so every account has its own `CH-000001`.

use super::messages::NewMessage;
use super::postgres_journal::PgJournal;
use super::replies::ReplyEnd;
use super::rows::{
    path_cte, path_length, ChatBackend, ChatRows, FinishedReply, ForReply, HistoryEnd,
    HistoryMessage, Owners, StrandedReply, HAS_FILES,
};
use super::settings::SessionSettings;
use super::{ChatMessage, ChatSession, MessageStatus, Role, MESSAGE_COLUMNS, SESSION_COLUMNS};
use crate::db::postgres::PgStore;
use crate::error::{Error, Result};
use crate::ids::{IdKind, RecordRef, DISPLAY_DIGITS};
use crate::ledger::ops::Usage;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// The message columns of [`ChatMessage`], for queries over `chat_messages m`.
const MESSAGE_SELECT: &str = "SELECT m.id, m.session_id, m.role, m.content,
        m.tokens, m.credits_used, m.status, m.error, m.created_at, m.updated_at, m.parent_id,
        m.model, m.reasoning_effort
   FROM chat_messages m";

/// The session's active leaf, `$1` its id: the newest message when none is
/// recorded or the one recorded is not here (a device's copy may hold only
/// the pages it was shown).
const ACTIVE_LEAF: &str = "(SELECT COALESCE(
        (SELECT id FROM chat_messages WHERE id = s.active_leaf_id AND session_id = s.id),
        (SELECT MAX(id) FROM chat_messages WHERE session_id = s.id))
   FROM chat_sessions s WHERE s.id = $1)";

/// The statements that end a streaming reply begin with this, so its
/// journal rows (`super::postgres_journal`) go in the same statement: `$1`
/// is the reply's id.
const DROP_CHUNKS: &str =
    "WITH dropped_chunks AS (DELETE FROM chat_reply_chunks WHERE message_id = $1)";

impl ChatBackend for PgStore {
    type Journal = PgJournal;
}

/// The row [`ChatRows::get_session_and_owners`] reads.
#[derive(sqlx::FromRow)]
struct SessionOwnersRow {
    #[sqlx(flatten)]
    session: ChatSession,
    owners: Owners,
}

/// The row [`ChatRows::lock_for_reply`] reads: the owners, and the history
/// as four arrays in step (each message's id, whether it is the user's,
/// its text, whether it has files).
#[derive(sqlx::FromRow)]
struct ForReplyRow {
    owners: Owners,
    leaf: Option<i64>,
    ids: Vec<i64>,
    by_user: Vec<bool>,
    texts: Vec<String>,
    with_files: Vec<bool>,
}

/// The row [`ChatRows::finish_reply`] returns: the reply, its session's
/// other columns, and the buckets.
#[derive(sqlx::FromRow)]
struct FinishedRow {
    #[sqlx(flatten)]
    reply: ChatMessage,
    display_id: String,
    title: Option<String>,
    session_created_at: DateTime<Utc>,
    session_updated_at: DateTime<Utc>,
    message_count: i64,
    active_leaf_id: Option<i64>,
    session_system_prompt: Option<String>,
    session_reasoning_effort: Option<crate::providers::ReasoningEffort>,
    session_model: Option<String>,
    #[sqlx(flatten)]
    usage: Usage,
}

impl ChatRows for PgConnection {
    async fn create_session(
        &mut self,
        user_id: &str,
        title: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ChatSession> {
        // One statement: the counter's next value and the session with it.
        // The display id is written as `crate::ids::display_id` writes it
        // (prefix, dash, the number zero-padded to DISPLAY_DIGITS).
        let sql = format!(
            "WITH counter AS (
                 INSERT INTO counters (user_id, name, value) VALUES ($1, $2, 1)
                 ON CONFLICT (user_id, name) DO UPDATE SET value = counters.value + 1
                 RETURNING value)
             INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             SELECT $1, $2 || '-' || lpad(value::text, greatest($5, length(value::text)), '0'),
                    $3, $4, $4
               FROM counter
             RETURNING {SESSION_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(IdKind::ChatSession.prefix())
            .bind(title)
            .bind(now)
            .bind(DISPLAY_DIGITS as i32)
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

    async fn get_session_and_owners(
        &mut self,
        user_id: &str,
        session: &RecordRef,
    ) -> Result<Option<(ChatSession, Owners)>> {
        let (id, display) = session.binds();
        let sql = format!(
            "SELECT {SESSION_COLUMNS},
                    ARRAY(SELECT stream_owner FROM chat_messages m
                           WHERE m.session_id = s.id AND m.status = 'streaming') AS owners
               FROM chat_sessions s
              WHERE user_id = $1 AND (id = $2 OR display_id = $3)"
        );
        let row: Option<SessionOwnersRow> = sqlx::query_as(&sql)
            .bind(user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self)
            .await?;
        Ok(row.map(|row| (row.session, row.owners)))
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

    async fn set_session_settings(
        &mut self,
        user_id: &str,
        session: &RecordRef,
        settings: &SessionSettings,
        keep_model: bool,
    ) -> Result<Option<ChatSession>> {
        let (id, display) = session.binds();
        let sql = format!(
            "UPDATE chat_sessions SET system_prompt = $1, reasoning_effort = $2,
                    model = CASE WHEN $3 THEN model ELSE $4 END
              WHERE user_id = $5 AND (id = $6 OR display_id = $7)
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
        // One statement: the message, and the session named (if untitled),
        // its active leaf moved to the message and counted (the path to the
        // parent, which the statement's snapshot holds, and the message).
        let sql = format!(
            "WITH msg AS (
                 INSERT INTO chat_messages
                    (session_id, user_id, role, content, status, credits_used, tokens, spend_id,
                     created_at, updated_at, parent_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $11)
                 RETURNING {MESSAGE_COLUMNS}),
             moved AS (
                 UPDATE chat_sessions
                    SET title = COALESCE(title, $10::text), active_leaf_id = (SELECT id FROM msg),
                        message_count = 1 + {}, updated_at = GREATEST(updated_at, $9)
                  WHERE id = $1)
             SELECT * FROM msg",
            path_length("$11::bigint")
        );
        Ok(sqlx::query_as(&sql)
            .bind(m.session_id)
            .bind(user_id)
            .bind(m.role)
            .bind(m.content)
            .bind(m.status)
            .bind(m.credits_used)
            .bind(m.tokens)
            .bind(m.spend_id)
            .bind(m.at)
            .bind(title)
            .bind(m.parent_id)
            .fetch_one(self)
            .await?)
    }

    async fn insert_exchange(
        &mut self,
        user_id: &str,
        m: NewMessage<'_>,
        title: Option<&str>,
        owner: &str,
    ) -> Result<(ChatMessage, ChatMessage)> {
        // One statement: two ids taken first (the smaller for the message,
        // the reply follows it), the message and its reply, and the session
        // as in `insert_message`, with the reply as its active leaf.
        let sql = format!(
            "WITH taken AS (
                 SELECT nextval(pg_get_serial_sequence('chat_messages', 'id')) AS id
                   FROM generate_series(1, 2)),
             ids AS (SELECT MIN(id) AS question, MAX(id) AS answer FROM taken),
             msgs AS (
                 INSERT INTO chat_messages
                    (id, session_id, user_id, role, content, status, credits_used, tokens, spend_id,
                     stream_owner, created_at, updated_at, parent_id)
                 OVERRIDING SYSTEM VALUE
                 SELECT question, $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::bigint,
                        $7::bigint, $8::bigint, NULL::text, $9::timestamptz, $9::timestamptz,
                        $13::bigint
                   FROM ids
                 UNION ALL
                 SELECT answer, $1, $2, $11::text, '', 'streaming', 0, NULL, $8, $12::text, $9, $9,
                        question
                   FROM ids
                 RETURNING {MESSAGE_COLUMNS}),
             moved AS (
                 UPDATE chat_sessions
                    SET title = COALESCE(title, $10::text),
                        active_leaf_id = (SELECT answer FROM ids),
                        message_count = 2 + {}, updated_at = GREATEST(updated_at, $9)
                  WHERE id = $1)
             SELECT * FROM msgs",
            path_length("$13::bigint")
        );
        let rows: Vec<ChatMessage> = sqlx::query_as(&sql)
            .bind(m.session_id)
            .bind(user_id)
            .bind(m.role)
            .bind(m.content)
            .bind(m.status)
            .bind(m.credits_used)
            .bind(m.tokens)
            .bind(m.spend_id)
            .bind(m.at)
            .bind(title)
            .bind(Role::Assistant)
            .bind(owner)
            .bind(m.parent_id)
            .fetch_all(self)
            .await?;
        let mut rows = rows.into_iter();
        match (rows.next(), rows.next()) {
            (Some(a), Some(b)) => Ok(if a.id < b.id { (a, b) } else { (b, a) }),
            _ => Err(Error::not_found("the reply just written", m.session_id)),
        }
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
        // One statement: the reply and the session's leaf moved to it.
        let sql = format!(
            "WITH msg AS (
                 INSERT INTO chat_messages
                    (session_id, user_id, role, content, status, spend_id, stream_owner,
                     created_at, updated_at, parent_id)
                 VALUES ($1, $2, $3, '', 'streaming', $4, $5, $6, $6, $7)
                 RETURNING {MESSAGE_COLUMNS}),
             moved AS (
                 UPDATE chat_sessions
                    SET active_leaf_id = (SELECT id FROM msg), message_count = 1 + {},
                        updated_at = GREATEST(updated_at, $6)
                  WHERE id = $1)
             SELECT * FROM msg",
            path_length("$7::bigint")
        );
        Ok(sqlx::query_as(&sql)
            .bind(session_id)
            .bind(user_id)
            .bind(Role::Assistant)
            .bind(spend_id)
            .bind(owner)
            .bind(now)
            .bind(question)
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
            "WITH RECURSIVE {}
             {MESSAGE_SELECT} JOIN path ON path.id = m.id
              WHERE m.session_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3",
            path_cte(ACTIVE_LEAF)
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

    async fn session_messages(&mut self, session_id: i64) -> Result<Vec<ChatMessage>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.session_id = $1 ORDER BY m.id");
        Ok(sqlx::query_as(&sql)
            .bind(session_id)
            .fetch_all(self)
            .await?)
    }

    async fn message_links(&mut self, session_id: i64) -> Result<Vec<(i64, Option<i64>)>> {
        Ok(sqlx::query_as(
            "SELECT id, parent_id FROM chat_messages WHERE session_id = $1 ORDER BY id",
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
            "UPDATE chat_sessions SET active_leaf_id = $1, message_count = {}
              WHERE id = $2 AND user_id = $3 RETURNING {SESSION_COLUMNS}",
            path_length("$1")
        );
        Ok(sqlx::query_as(&sql)
            .bind(leaf)
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(self)
            .await?)
    }

    async fn finish_reply(
        &mut self,
        user_id: &str,
        id: i64,
        end: &ReplyEnd<'_>,
        now: DateTime<Utc>,
    ) -> Result<FinishedReply> {
        // One statement: the update, the journal rows dropped, and the
        // session and buckets read (the update changes neither).
        let sql = format!(
            "{DROP_CHUNKS}, m AS (
                 UPDATE chat_messages
                    SET content = $2, status = $3, tokens = $4, prompt_tokens = $5,
                        reasoning_tokens = $6, error = $7, stream_owner = NULL, updated_at = $8,
                        model = $10, reasoning_effort = $11
                  WHERE id = $1 AND status = 'streaming'
              RETURNING {MESSAGE_COLUMNS})
             SELECT m.*, s.display_id, s.title, s.created_at AS session_created_at,
                    s.updated_at AS session_updated_at, s.message_count, s.active_leaf_id,
                    s.system_prompt AS session_system_prompt,
                    s.reasoning_effort AS session_reasoning_effort, s.model AS session_model,
                    u.free_remaining, u.purchased_remaining, u.credits_total,
                    u.last_credit_reset, u.pro_until
               FROM m JOIN chat_sessions s ON s.id = m.session_id
                      JOIN user_usage u ON u.user_id = $9"
        );
        let row: FinishedRow = sqlx::query_as(&sql)
            .bind(id)
            .bind(end.content)
            .bind(end.status)
            .bind(end.tokens)
            .bind(end.usage.map(|u| u.prompt_tokens))
            .bind(end.usage.map(|u| u.reasoning_tokens))
            .bind(end.error)
            .bind(now)
            .bind(user_id)
            .bind(end.model)
            .bind(end.reasoning_effort)
            .fetch_optional(self)
            .await?
            .ok_or_else(|| Error::not_found("streaming reply", id))?;
        let session = ChatSession {
            id: row.reply.session_id,
            display_id: row.display_id,
            title: row.title,
            created_at: row.session_created_at,
            updated_at: row.session_updated_at,
            message_count: row.message_count,
            active_leaf_id: row.active_leaf_id,
            system_prompt: row.session_system_prompt,
            reasoning_effort: row.session_reasoning_effort,
            model: row.session_model,
        };
        Ok(FinishedReply {
            reply: row.reply,
            session,
            usage: row.usage,
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
        let sql = format!(
            "{DROP_CHUNKS}
             UPDATE chat_messages
                SET status = $2, error = $3, content = COALESCE($4, content),
                    tokens = COALESCE($5, tokens), stream_owner = NULL, updated_at = $6
              WHERE id = $1 AND status = 'streaming'"
        );
        sqlx::query(&sql)
            .bind(id)
            .bind(status)
            .bind(error)
            .bind(content)
            .bind(tokens)
            .bind(now)
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

    async fn stream_owners(&mut self, session_id: i64) -> Result<Owners> {
        Ok(sqlx::query_scalar(
            "SELECT stream_owner FROM chat_messages WHERE session_id = $1 AND status = 'streaming'",
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
        // One statement (why that is safe: the trait's docs). The history
        // comes as four arrays in step, newest first: each message's id,
        // whether it is the user's (the others are the assistant's), its
        // text, and whether it has files (`HistoryMessage::has_files`). The
        // planner evaluates that probe after the sort and `LIMIT` (a
        // subquery is costly enough to be postponed past them), so only the
        // messages kept are probed; computing it in the arrays instead
        // measured slower (docs/benchmarks.md). A session that is gone has
        // neither owners nor history.
        let (use_leaf, at) = match end {
            HistoryEnd::ActiveLeaf => (true, None),
            HistoryEnd::At(at) => (false, at),
        };
        let sql = format!(
            "WITH RECURSIVE start AS (
                 SELECT CASE WHEN $4::bool THEN {ACTIVE_LEAF} ELSE $2::bigint END AS id),
             {},
             history AS (
                 SELECT m.id, m.role, m.content, {HAS_FILES} AS has_files
                   FROM chat_messages m JOIN path ON path.id = m.id
                  WHERE m.session_id = $1 AND m.role IN ('user', 'assistant')
                    AND m.content != '' AND m.status IN ('complete', 'stopped', 'interrupted')
                  ORDER BY m.id DESC LIMIT $3)
             SELECT ARRAY(SELECT stream_owner FROM chat_messages
                           WHERE session_id = s.id AND status = 'streaming') AS owners,
                    (SELECT id FROM start) AS leaf,
                    ARRAY(SELECT id FROM history ORDER BY id DESC) AS ids,
                    ARRAY(SELECT role = 'user' FROM history ORDER BY id DESC) AS by_user,
                    ARRAY(SELECT content FROM history ORDER BY id DESC) AS texts,
                    ARRAY(SELECT has_files FROM history ORDER BY id DESC) AS with_files
               FROM chat_sessions s WHERE s.id = $1 FOR UPDATE",
            path_cte("(SELECT id FROM start)")
        );
        let row: Option<ForReplyRow> = sqlx::query_as(&sql)
            .bind(session_id)
            .bind(at)
            .bind(history_limit)
            .bind(use_leaf)
            .fetch_optional(self)
            .await?;
        let Some(ForReplyRow {
            owners,
            leaf,
            ids,
            by_user,
            texts,
            with_files,
        }) = row
        else {
            return Ok(ForReply::default());
        };
        let history = ids
            .into_iter()
            .zip(by_user)
            .zip(texts)
            .zip(with_files)
            .map(|(((id, user), content), has_files)| HistoryMessage {
                id,
                role: if user { Role::User } else { Role::Assistant },
                content,
                has_files,
            })
            .collect();
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
        let sql = format!(
            "{DROP_CHUNKS}
             UPDATE chat_messages SET content = $2, status = 'interrupted', tokens = $3,
                    error = $4, stream_owner = NULL, updated_at = $5
              WHERE id = $1"
        );
        sqlx::query(&sql)
            .bind(id)
            .bind(text)
            .bind(tokens)
            .bind(error)
            .bind(now)
            .execute(self)
            .await?;
        Ok(())
    }
}
