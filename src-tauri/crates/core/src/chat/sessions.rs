//! Session create / list / get / rename / delete.

use super::rows::{ChatBackend, ChatRows, Owners};
use super::{page_size, ChatSession, ChatStore, SessionPage};
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::validate::{required_text, ValidationError, MAX_TITLE_CHARS};
use chrono::{DateTime, Utc};

impl<S: ChatBackend> ChatStore<S> {
    /// Starts a session; without a title it is named by its first message.
    pub async fn create_session(&self, title: Option<&str>) -> Result<ChatSession> {
        let title = title
            .map(|t| required_text("title", t, MAX_TITLE_CHARS))
            .transpose()?;
        let mut write = self.db.begin_single_write().await?;
        let session = write
            .create_session(&self.user_id, title.as_deref(), self.clock.now())
            .await?;
        S::commit_single_write(write).await?;
        Ok(session)
    }

    /// Removes session `id` if it has no message: one started for a send
    /// that then failed before anything was kept. A session that gained a
    /// message meanwhile stays. Best effort: an empty session left behind is
    /// harmless, so a failure here is logged, not returned.
    pub(crate) async fn discard_if_empty(&self, id: i64) {
        let discarded = async {
            let mut tx = self.db.begin_write().await?;
            tx.discard_session_if_empty(&self.user_id, id).await?;
            S::commit(tx).await
        };
        if let Err(error) = discarded.await {
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
        let after = cursor.map(parse_cursor).transpose()?;
        let mut sessions = self
            .db
            .read()
            .await?
            .list_sessions(&self.user_id, after, i64::from(limit) + 1)
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

    /// One of the user's sessions by row id or display id.
    pub async fn get_session(&self, session: &RecordRef) -> Result<ChatSession> {
        self.db
            .read()
            .await?
            .get_session(&self.user_id, session)
            .await?
            .ok_or_else(|| Error::not_found("chat session", session))
    }

    /// [`Self::get_session`] with the writers of its streaming replies,
    /// read together (what a send checks before it pays).
    pub(crate) async fn get_session_and_owners(
        &self,
        session: &RecordRef,
    ) -> Result<(ChatSession, Owners)> {
        self.db
            .read()
            .await?
            .get_session_and_owners(&self.user_id, session)
            .await?
            .ok_or_else(|| Error::not_found("chat session", session))
    }

    pub async fn rename_session(&self, session: &RecordRef, title: &str) -> Result<ChatSession> {
        let title = required_text("title", title, MAX_TITLE_CHARS)?;
        let mut tx = self.db.begin_write().await?;
        let renamed = tx
            .rename_session(&self.user_id, session, &title, self.clock.now())
            .await?;
        S::commit(tx).await?;
        renamed.ok_or_else(|| Error::not_found("chat session", session))
    }

    /// Deletes the session and, by cascade, its messages. Ledger rows that
    /// paid for them stay: the ledger is append-only.
    pub async fn delete_session(&self, session: &RecordRef) -> Result<ChatSession> {
        let mut tx = self.db.begin_write().await?;
        let deleted = tx.delete_session(&self.user_id, session).await?;
        S::commit(tx).await?;
        deleted.ok_or_else(|| Error::not_found("chat session", session))
    }
}

fn make_cursor(updated_at: DateTime<Utc>, id: i64) -> String {
    format!(
        "{}|{id}",
        updated_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    )
}

fn parse_cursor(cursor: &str) -> Result<(DateTime<Utc>, i64), ValidationError> {
    let invalid = || ValidationError::Invalid {
        field: "cursor",
        reason: "not a cursor from a previous page".into(),
    };
    let (time, id) = cursor.rsplit_once('|').ok_or_else(invalid)?;
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| invalid())?;
    Ok((time.with_timezone(&Utc), id.parse().map_err(|_| invalid())?))
}
