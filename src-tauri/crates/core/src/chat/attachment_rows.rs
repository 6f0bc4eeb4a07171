//! The statements on `message_attachments`, on SQLite (the desktop) and
//! Postgres (the server). The bytes are stored in the row (see the
//! migration); listings read everything but them.

use super::attachments::{Attachment, AttachmentInfo};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, SqliteConnection};
use std::future::Future;

/// The columns of an [`AttachmentInfo`], in its field order.
const INFO_COLUMNS: &str = "id, message_id, name, kind, mime, size_bytes, tokens";

/// Attachments of messages. The caller has checked the messages are the
/// user's (they came from the user's rows).
pub trait AttachmentRows {
    /// Stores `attachments` for `message_id`, in order.
    fn insert_attachments(
        &mut self,
        message_id: i64,
        attachments: &[Attachment],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The attachments of `message_ids`, by message then position, without
    /// their bytes.
    fn attachment_infos(
        &mut self,
        message_ids: &[i64],
    ) -> impl Future<Output = Result<Vec<AttachmentInfo>>> + Send;

    /// The attachments of one message with their bytes, in order (what a
    /// regeneration sends the model again, what an export carries).
    fn attachments_of(
        &mut self,
        message_id: i64,
    ) -> impl Future<Output = Result<Vec<Attachment>>> + Send;

    /// One attachment with its bytes, and the message it belongs to.
    fn attachment(
        &mut self,
        id: i64,
    ) -> impl Future<Output = Result<Option<(i64, Attachment)>>> + Send;

    /// The attachments of those of `message_ids` that are `user_id`'s, with
    /// their bytes and the message each belongs to, by message then
    /// position: one statement however many messages are asked for (what
    /// the history of a prompt carries).
    fn attachments_of_messages(
        &mut self,
        user_id: &str,
        message_ids: &[i64],
    ) -> impl Future<Output = Result<Vec<(i64, Attachment)>>> + Send;
}

#[derive(sqlx::FromRow)]
struct Row {
    message_id: i64,
    name: String,
    kind: super::AttachmentKind,
    mime: String,
    data: Vec<u8>,
}

impl From<Row> for Attachment {
    fn from(row: Row) -> Self {
        Self {
            name: row.name,
            kind: row.kind,
            mime: row.mime,
            data: row.data,
        }
    }
}

/// A row as the message it belongs to and the file.
fn with_message(row: Row) -> (i64, Attachment) {
    (row.message_id, Attachment::from(row))
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl AttachmentRows for SqliteConnection {
    async fn insert_attachments(
        &mut self,
        message_id: i64,
        attachments: &[Attachment],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for (position, a) in attachments.iter().enumerate() {
            sqlx::query(
                "INSERT INTO message_attachments
                   (message_id, position, name, kind, mime, size_bytes, tokens, data, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(message_id)
            .bind(as_i64(position))
            .bind(&a.name)
            .bind(a.kind)
            .bind(&a.mime)
            .bind(as_i64(a.data.len()))
            .bind(a.tokens())
            .bind(&a.data)
            .bind(now)
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }

    async fn attachment_infos(&mut self, message_ids: &[i64]) -> Result<Vec<AttachmentInfo>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        // The ids as one JSON array: any number of them in one statement.
        let ids = serde_json::to_string(message_ids).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT {INFO_COLUMNS} FROM message_attachments
              WHERE message_id IN (SELECT value FROM json_each(?))
              ORDER BY message_id, position"
        );
        Ok(sqlx::query_as(&sql).bind(ids).fetch_all(self).await?)
    }

    async fn attachments_of(&mut self, message_id: i64) -> Result<Vec<Attachment>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT message_id, name, kind, mime, data FROM message_attachments
              WHERE message_id = ? ORDER BY position",
        )
        .bind(message_id)
        .fetch_all(self)
        .await?;
        Ok(rows.into_iter().map(Attachment::from).collect())
    }

    async fn attachment(&mut self, id: i64) -> Result<Option<(i64, Attachment)>> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT message_id, name, kind, mime, data FROM message_attachments WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self)
        .await?;
        Ok(row.map(with_message))
    }

    async fn attachments_of_messages(
        &mut self,
        user_id: &str,
        message_ids: &[i64],
    ) -> Result<Vec<(i64, Attachment)>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        // The ids as one JSON array, as in `attachment_infos`.
        let ids = serde_json::to_string(message_ids).unwrap_or_else(|_| "[]".into());
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT a.message_id, a.name, a.kind, a.mime, a.data
               FROM message_attachments a JOIN chat_messages m ON m.id = a.message_id
              WHERE a.message_id IN (SELECT value FROM json_each(?)) AND m.user_id = ?
              ORDER BY a.message_id, a.position",
        )
        .bind(ids)
        .bind(user_id)
        .fetch_all(self)
        .await?;
        Ok(rows.into_iter().map(with_message).collect())
    }
}

impl AttachmentRows for PgConnection {
    async fn insert_attachments(
        &mut self,
        message_id: i64,
        attachments: &[Attachment],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for (position, a) in attachments.iter().enumerate() {
            sqlx::query(
                "INSERT INTO message_attachments
                   (message_id, position, name, kind, mime, size_bytes, tokens, data, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(message_id)
            .bind(i32::try_from(position).unwrap_or(i32::MAX))
            .bind(&a.name)
            .bind(a.kind)
            .bind(&a.mime)
            .bind(as_i64(a.data.len()))
            .bind(a.tokens())
            .bind(&a.data)
            .bind(now)
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }

    async fn attachment_infos(&mut self, message_ids: &[i64]) -> Result<Vec<AttachmentInfo>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {INFO_COLUMNS} FROM message_attachments
              WHERE message_id = ANY($1)
              ORDER BY message_id, position"
        );
        Ok(sqlx::query_as(&sql)
            .bind(message_ids)
            .fetch_all(self)
            .await?)
    }

    async fn attachments_of(&mut self, message_id: i64) -> Result<Vec<Attachment>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT message_id, name, kind, mime, data FROM message_attachments
              WHERE message_id = $1 ORDER BY position",
        )
        .bind(message_id)
        .fetch_all(self)
        .await?;
        Ok(rows.into_iter().map(Attachment::from).collect())
    }

    async fn attachment(&mut self, id: i64) -> Result<Option<(i64, Attachment)>> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT message_id, name, kind, mime, data FROM message_attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self)
        .await?;
        Ok(row.map(with_message))
    }

    async fn attachments_of_messages(
        &mut self,
        user_id: &str,
        message_ids: &[i64],
    ) -> Result<Vec<(i64, Attachment)>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT a.message_id, a.name, a.kind, a.mime, a.data
               FROM message_attachments a JOIN chat_messages m ON m.id = a.message_id
              WHERE a.message_id = ANY($1) AND m.user_id = $2
              ORDER BY a.message_id, a.position",
        )
        .bind(message_ids)
        .bind(user_id)
        .fetch_all(self)
        .await?;
        Ok(rows.into_iter().map(with_message).collect())
    }
}

impl<S: super::rows::ChatBackend> super::ChatStore<S> {
    /// What the messages `message_ids` (the user's, read from their rows)
    /// carry, without the bytes.
    pub async fn attachment_infos(&self, message_ids: &[i64]) -> Result<Vec<AttachmentInfo>> {
        self.db.read().await?.attachment_infos(message_ids).await
    }

    /// One of the user's attachments with its bytes (an image to show, a
    /// file to save), and the id of the session it is in; another user's is
    /// not found.
    pub async fn attachment(&self, attachment_id: i64) -> Result<(i64, Attachment)> {
        let found = self.db.read().await?.attachment(attachment_id).await?;
        let not_found = || crate::error::Error::not_found("attachment", attachment_id);
        let (message_id, attachment) = found.ok_or_else(not_found)?;
        let session = self
            .session_of_message(message_id)
            .await
            .map_err(|_| not_found())?;
        Ok((session.id, attachment))
    }

    /// The attachments of one of the user's messages, with their bytes.
    pub(crate) async fn attachments_of(&self, message_id: i64) -> Result<Vec<Attachment>> {
        self.db.read().await?.attachments_of(message_id).await
    }

    /// The attachments of the user's messages among `message_ids`, with
    /// their bytes, each with the id of its message, by message then
    /// position; another user's messages carry none. One statement on the
    /// read pool, however many messages: what a prompt's history carries
    /// (see `chat::prompt::with_files`), read after the turn is paid, never
    /// inside the paying transaction.
    ///
    /// No messages, no read: not even a connection is taken. The history
    /// read while paying says which of its messages have files
    /// (`chat::prompt::file_carriers`), and in nearly every turn none do,
    /// so this early return spares the send a statement and a checkout of
    /// the read pool (the hosted server's sends per second count them).
    pub async fn attachments_of_messages(
        &self,
        message_ids: &[i64],
    ) -> Result<Vec<(i64, Attachment)>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.db
            .read()
            .await?
            .attachments_of_messages(&self.user_id, message_ids)
            .await
    }
}
