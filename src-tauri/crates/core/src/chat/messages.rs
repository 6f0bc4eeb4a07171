//! Message rows: what a new message is, and paging through history.

use super::rows::{ChatBackend, ChatRows};
use super::{page_size, ChatSession, ChatStore, MessagePage, MessageStatus, Role};
use crate::error::Result;
use crate::ids::RecordRef;
use crate::ledger::EntryKind;
use chrono::{DateTime, Utc};

/// A message to append to a session (see `ChatRows::insert_message`).
pub struct NewMessage<'a> {
    pub session_id: i64,
    /// The message it follows (`None`: the first of a path).
    pub parent_id: Option<i64>,
    pub role: Role,
    pub content: &'a str,
    pub status: MessageStatus,
    pub credits_used: i64,
    pub tokens: Option<i64>,
    pub spend_id: Option<i64>,
    pub at: DateTime<Utc>,
}

impl<S: ChatBackend> ChatStore<S> {
    /// The session whose message was paid for with `idempotency_key` (as
    /// given to [`Self::record_user_message`] or a send), if any.
    ///
    /// A key is bound to its session, so a retry must name the session of
    /// the first attempt to be the same request. A client that starts a new
    /// session per send (`banter-cli chat` without `--session`) looks the
    /// session up here first, so its retry replays the first exchange instead
    /// of opening another session and conflicting with the first.
    pub async fn session_paid_with(&self, idempotency_key: &str) -> Result<Option<ChatSession>> {
        self.db
            .read()
            .await?
            .session_paid_with(&self.user_id, &EntryKind::Spend.key(idempotency_key))
            .await
    }

    /// A page of the active path in chronological order: its newest
    /// `limit` messages, or the `limit` just before message id `before`,
    /// with the versions of those that have several.
    pub async fn list_messages(
        &self,
        session: &RecordRef,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<MessagePage> {
        let session = self.get_session(session).await?;
        let limit = page_size(limit);
        let messages = self
            .db
            .read()
            .await?
            .messages_before(session.id, before.unwrap_or(i64::MAX), i64::from(limit) + 1)
            .await?;
        let mut messages = self.with_streamed_text(messages).await?;
        let older_cursor = if messages.len() > limit as usize {
            messages.truncate(limit as usize);
            messages.last().map(|m| m.id)
        } else {
            None
        };
        messages.reverse();
        let branches = self.branches_among(session.id, &messages).await?;
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let attachments = self.attachment_infos(&ids).await?;
        Ok(MessagePage {
            messages,
            older_cursor,
            branches,
            attachments,
        })
    }
}
