//! [`HostedHistory`]: a signed-in device's conversations — the server's,
//! kept in this computer's copy ([`Replica`]) as they are read and sent,
//! and read from the copy when the server cannot be reached.
//!
//! Offline, reading (sessions, messages, export, search) answers from the
//! copy (and every window has heard [`DomainEvent::ServerReachable`], see
//! [`super::reachability`], so it can say the history shown is this
//! computer's copy). Changes (rename,
//! delete) and paid actions need the server and are refused with the
//! `offline` error; nothing is queued or charged (queuing edits offline
//! belongs to sync).

use super::chat::HostedSend;
use super::client::HostedClient;
use super::error::HostedError;
use super::replica::Replica;
use crate::chat::{
    ChatSession, ExportFormat, ExportedFile, MessagePage, SearchHit, SendOutcome, SessionPage,
};
use crate::error::{Error, ErrorCode, Result};
use crate::events::DomainEvent;
use crate::ids::RecordRef;

/// The signed-in account's history on this device.
#[derive(Debug, Clone)]
pub struct HostedHistory {
    client: HostedClient,
    copy: Replica,
}

impl HostedHistory {
    pub(crate) fn new(client: HostedClient, copy: Replica) -> Self {
        Self { client, copy }
    }

    /// The server's client, for what has no copy (credits, purchases, …).
    pub fn client(&self) -> &HostedClient {
        &self.client
    }

    /// This computer's copy.
    pub fn copy(&self) -> &Replica {
        &self.copy
    }

    /// Sessions by most recent activity, from the server; from the copy
    /// when the server cannot be reached.
    pub async fn sessions(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<SessionPage> {
        let answer = self.client.sessions(cursor, limit).await;
        match answer {
            Ok(page) => {
                keep(self.copy.keep_sessions(cursor, &page).await);
                Ok(page)
            }
            Err(offline @ HostedError::Offline { .. }) => {
                let page = self
                    .read_copy(
                        offline.clone(),
                        self.copy.chat().list_sessions(cursor, limit),
                    )
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

    /// One session, from the server; from the copy when the server cannot
    /// be reached.
    pub async fn session(&self, session: &RecordRef) -> Result<ChatSession> {
        match self.client.session(session).await {
            Ok(row) => {
                keep(self.copy.keep_session(&row).await);
                Ok(row)
            }
            Err(offline @ HostedError::Offline { .. }) => {
                self.read_copy(offline, self.copy.chat().get_session(session))
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
        keep(self.copy.keep_session(&made).await);
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
        let answer = row.and_then(|row| page.map(|page| (row, page)));
        match answer {
            Ok((row, page)) => {
                keep(self.copy.keep_messages(&row, before, &page).await);
                Ok(page)
            }
            Err(offline @ HostedError::Offline { .. }) => {
                let read = self.copy.chat().list_messages(session, before, limit);
                self.read_copy(offline, read).await
            }
            Err(e) => {
                if e.server_code() == Some(ErrorCode::NotFound) {
                    self.forget(session).await;
                }
                Err(e.into())
            }
        }
    }

    /// A session as a Markdown or JSON file, from the server; from the
    /// copy when the server cannot be reached.
    pub async fn export(&self, session: &RecordRef, format: ExportFormat) -> Result<ExportedFile> {
        let answer = self.client.export(session, format).await;
        match answer {
            Ok(file) => Ok(file),
            Err(offline @ HostedError::Offline { .. }) => {
                self.read_copy(offline, self.copy.chat().export(session, format))
                    .await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Full-text search over the conversations this computer holds (the
    /// server has no search; the copy holds what this device has opened or
    /// sent, online or not).
    pub async fn search(&self, query: &str, limit: Option<u32>) -> Result<Vec<SearchHit>> {
        self.copy.chat().search(query, limit).await
    }

    /// Renames a session on the server, then in the copy.
    pub async fn rename(&self, session: &RecordRef, title: &str) -> Result<ChatSession> {
        let answer = self.client.rename_session(session, title).await;
        let renamed = answer?;
        keep(self.copy.keep_session(&renamed).await);
        Ok(renamed)
    }

    /// Deletes a session on the server, then from the copy.
    pub async fn delete(&self, session: &RecordRef) -> Result<ChatSession> {
        let answer = self.client.delete_session(session).await;
        let deleted = answer?;
        keep(self.copy.forget_session(deleted.id).await);
        Ok(deleted)
    }

    /// Sends through the server (see [`HostedClient::send`]) and keeps the
    /// exchange in the copy.
    pub async fn send(
        &self,
        request: HostedSend,
        on_event: impl FnMut(DomainEvent) + Send,
    ) -> Result<SendOutcome> {
        let answer = self.client.send(request, on_event).await;
        self.kept(answer).await
    }

    /// Regenerates through the server (see [`HostedClient::regenerate`])
    /// and keeps the exchange in the copy.
    pub async fn regenerate(
        &self,
        session: &RecordRef,
        include_context: bool,
        on_event: impl FnMut(DomainEvent) + Send,
    ) -> Result<SendOutcome> {
        let answer = self
            .client
            .regenerate(session, include_context, on_event)
            .await;
        self.kept(answer).await
    }

    async fn kept(
        &self,
        answer: std::result::Result<SendOutcome, HostedError>,
    ) -> Result<SendOutcome> {
        let outcome = answer?;
        let exchange = [&outcome.user_message, &outcome.reply];
        keep(self.copy.keep_exchange(&outcome.session, &exchange).await);
        Ok(outcome)
    }

    /// Answers from the copy; when the copy does not hold what was asked
    /// for, the `offline` error says why rather than "not found".
    async fn read_copy<T>(
        &self,
        offline: HostedError,
        read: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        tracing::info!("the server cannot be reached; reading this computer's copy");
        match read.await {
            Err(e) if e.code() == ErrorCode::NotFound => Err(Error::Hosted(offline)),
            other => other,
        }
    }

    /// Drops a session the server says it does not have from the copy.
    async fn forget(&self, session: &RecordRef) {
        if let Ok(held) = self.copy.chat().get_session(session).await {
            keep(self.copy.forget_session(held.id).await);
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
