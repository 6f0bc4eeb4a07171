//! Session create / list / get / rename / delete.

use super::{page_size, ChatSession, ChatStore, SessionPage, SESSION_COLUMNS};
use crate::error::{Error, Result};
use crate::ids::{next_display_id, IdKind, RecordRef};
use crate::validate::{required_text, ValidationError, MAX_TITLE_CHARS};
use chrono::{DateTime, Utc};

impl ChatStore {
    /// Starts a session; without a title it is named by its first message.
    pub async fn create_session(&self, title: Option<&str>) -> Result<ChatSession> {
        let title = title
            .map(|t| required_text("title", t, MAX_TITLE_CHARS))
            .transpose()?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let display_id = next_display_id(&mut tx, IdKind::ChatSession).await?;
        let sql = format!(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?) RETURNING {SESSION_COLUMNS}"
        );
        let session = sqlx::query_as(&sql)
            .bind(&self.user_id)
            .bind(&display_id)
            .bind(title)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Removes session `id` if it has no message: one started for a send
    /// that then failed before anything was kept. A session that gained a
    /// message meanwhile stays.
    pub(crate) async fn discard_if_empty(&self, id: i64) {
        let delete = sqlx::query(
            "DELETE FROM chat_sessions WHERE id = ? AND user_id = ? AND message_count = 0",
        )
        .bind(id)
        .bind(&self.user_id);
        if let Err(error) = self.db.write_one(delete).await {
            tracing::warn!(code = %error.code(), "could not remove an empty session");
        }
    }

    /// Sessions by most recent activity. `cursor` comes from the previous page.
    pub async fn list_sessions(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<SessionPage> {
        let limit = page_size(limit);
        let (after_time, after_id) = match cursor {
            Some(c) => parse_cursor(c)?,
            None => ("~".to_string(), i64::MAX),
        };
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM chat_sessions
              WHERE user_id = ? AND (updated_at, id) < (?, ?)
              ORDER BY updated_at DESC, id DESC LIMIT ?"
        );
        let mut sessions: Vec<ChatSession> = sqlx::query_as(&sql)
            .bind(&self.user_id)
            .bind(after_time)
            .bind(after_id)
            .bind(i64::from(limit) + 1)
            .fetch_all(self.db.pool())
            .await?;
        let next_cursor = if sessions.len() > limit as usize {
            sessions.truncate(limit as usize);
            sessions.last().map(|s| make_cursor(s.updated_at, s.id))
        } else {
            None
        };
        Ok(SessionPage {
            sessions,
            next_cursor,
        })
    }

    pub async fn get_session(&self, session: &RecordRef) -> Result<ChatSession> {
        let (id, display) = session.binds();
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM chat_sessions
              WHERE user_id = ? AND (id = ? OR display_id = ?)"
        );
        sqlx::query_as(&sql)
            .bind(&self.user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| Error::not_found("chat session", session))
    }

    pub async fn rename_session(&self, session: &RecordRef, title: &str) -> Result<ChatSession> {
        let title = required_text("title", title, MAX_TITLE_CHARS)?;
        let (id, display) = session.binds();
        let sql = format!(
            "UPDATE chat_sessions SET title = ?, updated_at = ?
              WHERE user_id = ? AND (id = ? OR display_id = ?)
              RETURNING {SESSION_COLUMNS}"
        );
        let rename = sqlx::query_as(&sql)
            .bind(title)
            .bind(self.clock.now())
            .bind(&self.user_id)
            .bind(id)
            .bind(display);
        self.db
            .write_returning(rename)
            .await?
            .ok_or_else(|| Error::not_found("chat session", session))
    }

    /// Deletes the session and, by cascade, its messages. Ledger rows that
    /// paid for them stay: the ledger is append-only.
    pub async fn delete_session(&self, session: &RecordRef) -> Result<ChatSession> {
        let (id, display) = session.binds();
        let sql = format!(
            "DELETE FROM chat_sessions WHERE user_id = ? AND (id = ? OR display_id = ?)
              RETURNING {SESSION_COLUMNS}"
        );
        let delete = sqlx::query_as(&sql)
            .bind(&self.user_id)
            .bind(id)
            .bind(display);
        self.db
            .write_returning(delete)
            .await?
            .ok_or_else(|| Error::not_found("chat session", session))
    }
}

fn make_cursor(updated_at: DateTime<Utc>, id: i64) -> String {
    format!(
        "{}|{id}",
        updated_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    )
}

fn parse_cursor(cursor: &str) -> Result<(String, i64), ValidationError> {
    let invalid = || ValidationError::Invalid {
        field: "cursor",
        reason: "not a cursor from a previous page".into(),
    };
    let (time, id) = cursor.rsplit_once('|').ok_or_else(invalid)?;
    DateTime::parse_from_rfc3339(time).map_err(|_| invalid())?;
    Ok((time.to_string(), id.parse().map_err(|_| invalid())?))
}

/// Reads one session by row id inside the caller's transaction (its message
/// count and activity time as that transaction sees them).
pub(crate) async fn fetch_session(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
) -> Result<ChatSession> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM chat_sessions WHERE id = ?");
    sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("chat session", id))
}
