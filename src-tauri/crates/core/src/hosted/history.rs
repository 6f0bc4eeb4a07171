//! [`HostedHistory`]: a signed-in device's conversations — the server's,
//! kept in this computer's copy ([`Replica`]) as they are read and sent,
//! and read from the copy when the server cannot be reached.
//!
//! Offline, reading (sessions, messages, export, search) answers from the
//! copy (and every window has heard [`DomainEvent::ServerReachable`], see
//! [`super::reachability`], so it can say the history shown is this
//! computer's copy). Renaming or deleting is made in the copy and queued
//! for the server ([`super::outbox`]); paid actions need the server and
//! are refused with the `offline` error, charging nothing. Once the copy
//! follows the change feed ([`super::sync`]) the feed keeps it, and pages
//! read from the server are no longer written into it. What the copy does not
//! hold (a conversation never opened here) is `offline` too, never shown
//! as empty. A copy that cannot be opened leaves the server's history
//! working, without reading offline.

use super::chat::HostedSend;
use super::client::HostedClient;
use super::error::HostedError;
use super::replica::Replica;
use crate::chat::{
    Attachment, ChatSession, ExportFormat, ExportedFile, MessagePage, SearchHit, SendOutcome,
    SessionPage,
};
use crate::error::{Error, ErrorCode, Result};
use crate::events::DomainEvent;
use crate::ids::RecordRef;

/// The signed-in account's history on this device.
#[derive(Debug, Clone)]
pub struct HostedHistory {
    client: HostedClient,
    /// `None` when the copy could not be opened.
    copy: Option<Replica>,
}

/// How many sessions a page may leave unexplained before the copy stops
/// asking the server about each (the rest are asked about at the next
/// read of their page).
const UNLISTED_CHECKS: usize = 20;

impl HostedHistory {
    pub(crate) fn new(client: HostedClient, copy: Option<Replica>) -> Self {
        Self { client, copy }
    }

    /// The server's client, for what has no copy (credits, purchases, …).
    pub fn client(&self) -> &HostedClient {
        &self.client
    }

    /// This computer's copy, when it could be opened.
    pub fn copy(&self) -> Option<&Replica> {
        self.copy.as_ref()
    }

    /// Sessions by most recent activity, from the server; from the copy
    /// when the server cannot be reached.
    pub async fn sessions(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<SessionPage> {
        match self.client.sessions(cursor, limit).await {
            Ok(page) => {
                if let Some(copy) = &self.copy {
                    match copy.keep_sessions(cursor, &page).await {
                        Ok(unlisted) => self.settle_unlisted(copy, unlisted).await,
                        Err(error) => keep(Err(error)),
                    }
                }
                Ok(page)
            }
            Err(offline @ HostedError::Offline { .. }) => {
                let page = self
                    .read_copy(offline.clone(), |copy| {
                        copy.chat().list_sessions(cursor, limit)
                    })
                    .await?;
                // An empty copy has never been filled: "no conversations"
                // would be a lie, so the answer is that the server is away.
                if cursor.is_none() && page.sessions.is_empty() {
                    return Err(offline.into());
                }
                Ok(page)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sessions the copy holds where the server's page did not list them:
    /// gone from the server (removed here), or moved up the list by new
    /// activity (kept, as the server has them now).
    async fn settle_unlisted(&self, copy: &Replica, unlisted: Vec<i64>) {
        for id in unlisted.into_iter().take(UNLISTED_CHECKS) {
            match self.client.session(&RecordRef::Id(id)).await {
                Ok(row) => keep(copy.keep_session(&row).await),
                Err(e) if e.server_code() == Some(ErrorCode::NotFound) => {
                    keep(copy.forget_session(id).await);
                }
                // Unknown for now: asked again at the next read.
                Err(_) => return,
            }
        }
    }

    /// One session, from the server; from the copy when the server cannot
    /// be reached.
    pub async fn session(&self, session: &RecordRef) -> Result<ChatSession> {
        match self.client.session(session).await {
            Ok(row) => {
                if let Some(copy) = &self.copy {
                    keep(copy.keep_session(&row).await);
                }
                Ok(row)
            }
            Err(offline @ HostedError::Offline { .. }) => {
                self.read_copy(offline, |copy| copy.chat().get_session(session))
                    .await
            }
            Err(e) => {
                if e.server_code() == Some(ErrorCode::NotFound) {
                    self.forget(session).await;
                }
                Err(e.into())
            }
        }
    }

    /// Starts an empty session on the server, kept in the copy.
    pub async fn create_session(&self, title: Option<&str>) -> Result<ChatSession> {
        let made = self.client.create_session(title).await?;
        if let Some(copy) = &self.copy {
            keep(copy.keep_session(&made).await);
        }
        Ok(made)
    }

    /// A page of a session's messages (see `ChatStore::list_messages`), from
    /// the server; from the copy when the server cannot be reached.
    pub async fn messages(
        &self,
        session: &RecordRef,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<MessagePage> {
        let (row, page) = tokio::join!(
            self.client.session(session),
            self.client.messages(session, before, limit)
        );
        match row.and_then(|row| page.map(|page| (row, page))) {
            Ok((row, page)) => {
                if let Some(copy) = &self.copy {
                    keep(copy.keep_messages(&row, before, &page).await);
                    self.keep_attachments(copy, &page).await;
                }
                Ok(page)
            }
            Err(offline @ HostedError::Offline { .. }) => {
                let page = self
                    .read_copy(offline.clone(), |copy| {
                        copy.chat().list_messages(session, before, limit)
                    })
                    .await?;
                // A conversation listed but never opened here: its messages
                // are the server's to show, not an empty chat.
                if before.is_none() && page.messages.is_empty() {
                    return Err(offline.into());
                }
                Ok(page)
            }
            Err(e) => {
                if e.server_code() == Some(ErrorCode::NotFound) {
                    self.forget(session).await;
                }
                Err(e.into())
            }
        }
    }

    /// Keeps the page's attachments the copy does not hold yet (their bytes
    /// fetched once; attachments never change), so the conversation shows
    /// them offline too. Best effort: a file that cannot be fetched now is
    /// fetched the next time the page is read.
    async fn keep_attachments(&self, copy: &Replica, page: &MessagePage) {
        if page.attachments.is_empty() {
            return;
        }
        let ids: Vec<i64> = page.attachments.iter().map(|a| a.id).collect();
        let held = match copy.held_attachments(&ids).await {
            Ok(held) => held,
            Err(error) => return keep(Err(error)),
        };
        for (i, info) in page.attachments.iter().enumerate() {
            if held.contains(&info.id) {
                continue;
            }
            // Its place among its message's files (the page lists them in order).
            let position = page.attachments[..i]
                .iter()
                .filter(|a| a.message_id == info.message_id)
                .count();
            match self.client.attachment(info.id).await {
                Ok(attachment) => {
                    let position = i64::try_from(position).unwrap_or(i64::MAX);
                    keep(copy.keep_attachment(info, position, &attachment).await);
                }
                Err(error) => keep(Err(error.into())),
            }
        }
    }

    /// One of the account's attachments with its bytes: from the copy when
    /// it holds it (attachments never change), else from the server.
    ///
    /// `session_id` is the session the caller says it is in: the copy's
    /// answer is checked against it. The server checks only that it is the
    /// account's, so it is asked only when `server_may_answer` (a window
    /// that may read every conversation).
    pub async fn attachment(
        &self,
        session_id: i64,
        id: i64,
        server_may_answer: bool,
    ) -> Result<Attachment> {
        if let Some(copy) = &self.copy {
            if let Ok((session, attachment)) = copy.chat().attachment(id).await {
                if session == session_id {
                    return Ok(attachment);
                }
                return Err(crate::error::Error::not_found("attachment", id));
            }
        }
        if !server_may_answer {
            return Err(crate::error::Error::not_found("attachment", id));
        }
        Ok(self.client.attachment(id).await?)
    }

    /// A session as a Markdown or JSON file, from the server; from the
    /// copy when the server cannot be reached.
    pub async fn export(&self, session: &RecordRef, format: ExportFormat) -> Result<ExportedFile> {
        match self.client.export(session, format).await {
            Ok(file) => Ok(file),
            Err(offline @ HostedError::Offline { .. }) => {
                self.read_copy(offline, |copy| copy.chat().export(session, format))
                    .await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Full-text search over the conversations this computer holds (the
    /// server has no search; the copy holds what this device has opened or
    /// sent, online or not).
    pub async fn search(&self, query: &str, limit: Option<u32>) -> Result<Vec<SearchHit>> {
        match &self.copy {
            Some(copy) => copy.chat().search(query, limit).await,
            None => Ok(Vec::new()),
        }
    }

    /// Renames a session on the server, then in the copy; when the server
    /// cannot be reached, in the copy at once and on the server later (see
    /// [`super::outbox`]). Edits queued before go first.
    pub async fn rename(&self, session: &RecordRef, title: &str) -> Result<ChatSession> {
        let renamed = match self
            .push_then(|| self.client.rename_session(session, title))
            .await
        {
            Err(Error::Hosted(offline @ HostedError::Offline { .. })) => {
                return self
                    .edit_offline(offline, |copy| copy.rename_offline(session, title))
                    .await;
            }
            other => other?,
        };
        if let Some(copy) = &self.copy {
            keep(copy.keep_session(&renamed).await);
        }
        Ok(renamed)
    }

    /// Deletes a session on the server, then from the copy; offline, as
    /// [`Self::rename`] does.
    pub async fn delete(&self, session: &RecordRef) -> Result<ChatSession> {
        let deleted = match self.push_then(|| self.client.delete_session(session)).await {
            Err(Error::Hosted(offline @ HostedError::Offline { .. })) => {
                return self
                    .edit_offline(offline, |copy| copy.delete_offline(session))
                    .await;
            }
            other => other?,
        };
        if let Some(copy) = &self.copy {
            keep(copy.forget_session(deleted.id).await);
        }
        Ok(deleted)
    }

    /// Sends the queued edits, then makes `call`, holding the copy's sync
    /// lock throughout (an edit is never overtaken by an older one). Edits
    /// the server refused are announced (`synced`'s `refused`).
    pub(super) async fn push_then<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, HostedError>>,
    {
        let Some(copy) = &self.copy else {
            return Ok(call().await?);
        };
        let _one_at_a_time = copy.sync_turn().await;
        let pushed = self.push_locked(copy).await?;
        if !pushed.refused.is_empty() {
            self.client.announce(DomainEvent::Synced {
                sessions: Vec::new(),
                projects: false,
                refused: pushed.refused,
            });
        }
        Ok(call().await?)
    }

    /// Makes an edit in the copy and queues it; without a copy (it could
    /// not be opened) the edit is refused as `offline`.
    pub(super) async fn edit_offline<'a, T, F, Fut>(
        &'a self,
        offline: HostedError,
        edit: F,
    ) -> Result<T>
    where
        F: FnOnce(&'a Replica) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        match &self.copy {
            Some(copy) => {
                tracing::info!("the server cannot be reached; the edit is queued on this computer");
                edit(copy).await
            }
            None => Err(offline.into()),
        }
    }

    /// Sends through the server (see [`HostedClient::send`]) and keeps the
    /// exchange in the copy.
    pub async fn send(
        &self,
        request: HostedSend,
        on_event: impl FnMut(DomainEvent) + Send,
    ) -> Result<SendOutcome> {
        let outcome = self.client.send(request, on_event).await?;
        self.kept(&outcome).await;
        Ok(outcome)
    }

    /// Regenerates through the server (see [`HostedClient::regenerate`])
    /// and keeps the exchange in the copy, beside the old reply (another
    /// version of it).
    pub async fn regenerate(
        &self,
        session: &RecordRef,
        include_context: bool,
        on_event: impl FnMut(DomainEvent) + Send,
    ) -> Result<SendOutcome> {
        let outcome = self
            .client
            .regenerate(session, include_context, on_event)
            .await?;
        self.kept(&outcome).await;
        Ok(outcome)
    }

    /// Keeps an exchange. A replayed one is the first answer to its key,
    /// not the end of the session: it only fills in what the copy lacks.
    async fn kept(&self, outcome: &SendOutcome) {
        let Some(copy) = &self.copy else {
            return;
        };
        let exchange = [&outcome.user_message, &outcome.reply];
        keep(copy.keep_exchange(&outcome.session, &exchange).await);
    }

    /// Switches the session's active branch on the server (see
    /// `ChatStore::switch_branch`) and keeps the session in the copy.
    /// Choosing a branch changes what the next paid send is answered
    /// from, so it is the server's to decide: refused as `offline` when
    /// it cannot be reached.
    pub async fn switch_branch(&self, session: &RecordRef, message_id: i64) -> Result<ChatSession> {
        let switched = self.client.switch_branch(session, message_id).await?;
        if let Some(copy) = &self.copy {
            keep(copy.keep_session(&switched).await);
        }
        Ok(switched)
    }

    /// Replaces a chat's settings (system prompt, reasoning effort) on the
    /// server and keeps the session in the copy. Like a branch switch, it
    /// decides what the next paid send is asked, so it is the server's:
    /// refused as `offline` when it cannot be reached.
    pub async fn set_settings(
        &self,
        session: &RecordRef,
        settings: crate::chat::SessionSettings,
    ) -> Result<ChatSession> {
        let settings = settings.checked()?;
        let changed = self.client.set_session_settings(session, &settings).await?;
        if let Some(copy) = &self.copy {
            keep(copy.keep_session(&changed).await);
        }
        Ok(changed)
    }

    /// Answers from the copy; when there is no copy, or it does not hold
    /// what was asked for, the `offline` error says why rather than "not
    /// found".
    pub(super) async fn read_copy<'a, T, F, Fut>(
        &'a self,
        offline: HostedError,
        read: F,
    ) -> Result<T>
    where
        F: FnOnce(&'a Replica) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let Some(copy) = &self.copy else {
            return Err(offline.into());
        };
        tracing::info!("the server cannot be reached; reading this computer's copy");
        match read(copy).await {
            Err(e) if e.code() == ErrorCode::NotFound => Err(Error::Hosted(offline)),
            other => other,
        }
    }

    /// Drops a session the server says it does not have from the copy.
    async fn forget(&self, session: &RecordRef) {
        let Some(copy) = &self.copy else {
            return;
        };
        if let Ok(held) = copy.chat().get_session(session).await {
            keep(copy.forget_session(held.id).await);
        }
    }
}

/// A failure to write the copy never fails what the server did: the copy
/// is filled again by the next read.
fn keep(written: Result<()>) {
    if let Err(error) = written {
        tracing::warn!(code = %error.code(), "could not update this computer's copy of the history");
    }
}
