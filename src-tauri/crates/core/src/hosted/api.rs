//! The typed calls of [`HostedClient`], one per route, answering in the
//! core's own types (the same JSON the desktop's local commands return).

use super::client::{Call, HostedClient};
use super::error::HostedError;
use super::http::Server;
use super::replica::AtSignOut;
use super::types::{Account, Device, SignedOutCount};
use crate::billing::checkouts::PendingCheckout;
use crate::billing::{Checkout, Product, ReconcileReport};
use crate::chat::{ChatSession, ExportFormat, ExportedFile, MessagePage, SessionPage};
use crate::ids::RecordRef;
use crate::ledger::{Balance, LedgerPage};
use reqwest::{Method, Url};
use serde::Serialize;

type Result<T> = std::result::Result<T, HostedError>;

impl HostedClient {
    fn url(&self, path: &str, segments: &[&str]) -> Url {
        self.transport().url(path, segments)
    }

    fn session_url(&self, id: &RecordRef, tail: Option<&str>) -> Url {
        let id = id.to_string();
        let mut segments = vec![id.as_str()];
        segments.extend(tail);
        self.url("/v1/sessions", &segments)
    }

    pub(super) async fn send_json<T, B>(&self, method: Method, url: Url, body: &B) -> Result<T>
    where
        T: serde::de::DeserializeOwned,
        B: Serialize + ?Sized,
    {
        self.json(Call {
            method,
            url,
            body: Some(body),
        })
        .await
    }

    /// Who this device is signed in as.
    pub async fn account(&self) -> Result<Account> {
        self.get(self.url("/v1/account", &[])).await
    }

    /// The account's devices, newest first.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.get(self.url("/v1/devices", &[])).await
    }

    /// The operator's chat models (`GET /v1/models`), as a picker shows them.
    pub async fn models(&self) -> Result<Vec<crate::providers::ModelSummary>> {
        self.get(self.url("/v1/models", &[])).await
    }

    /// The account's balance (a due monthly reset is applied by the server).
    pub async fn balance(&self) -> Result<Balance> {
        self.get(self.url("/v1/credits", &[])).await
    }

    /// Ledger rows, newest first, older than `before`.
    pub async fn ledger(&self, before: Option<i64>, limit: Option<u32>) -> Result<LedgerPage> {
        let mut url = self.url("/v1/ledger", &[]);
        push_query(&mut url, "before", before);
        push_query(&mut url, "limit", limit);
        self.get(url).await
    }

    pub async fn sessions(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<SessionPage> {
        let mut url = self.url("/v1/sessions", &[]);
        push_query(&mut url, "cursor", cursor);
        push_query(&mut url, "limit", limit);
        self.get(url).await
    }

    pub async fn create_session(&self, title: Option<&str>) -> Result<ChatSession> {
        #[derive(Serialize)]
        struct NewSession<'a> {
            title: Option<&'a str>,
        }
        let url = self.url("/v1/sessions", &[]);
        self.send_json(Method::POST, url, &NewSession { title })
            .await
    }

    pub async fn session(&self, id: &RecordRef) -> Result<ChatSession> {
        self.get(self.session_url(id, None)).await
    }

    pub async fn rename_session(&self, id: &RecordRef, title: &str) -> Result<ChatSession> {
        #[derive(Serialize)]
        struct Rename<'a> {
            title: &'a str,
        }
        let url = self.session_url(id, None);
        self.send_json(Method::PATCH, url, &Rename { title }).await
    }

    /// Replaces a chat's settings on the server
    /// (`PUT /v1/sessions/{id}/settings`, see `ChatStore::set_session_settings`).
    pub async fn set_session_settings(
        &self,
        id: &RecordRef,
        settings: &crate::chat::SessionSettings,
    ) -> Result<ChatSession> {
        let url = self.session_url(id, Some("settings"));
        self.send_json(Method::PUT, url, settings).await
    }

    /// Makes the path through `message_id` the session's active branch
    /// (`POST /v1/sessions/{id}/branch`, see `ChatStore::switch_branch`).
    pub async fn switch_branch(&self, id: &RecordRef, message_id: i64) -> Result<ChatSession> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Switch {
            message_id: i64,
        }
        let url = self.session_url(id, Some("branch"));
        self.send_json(Method::POST, url, &Switch { message_id })
            .await
    }

    pub async fn delete_session(&self, id: &RecordRef) -> Result<ChatSession> {
        self.json(Call::<()> {
            method: Method::DELETE,
            url: self.session_url(id, None),
            body: None,
        })
        .await
    }

    /// A page of `id`'s messages ending just before `before` (the newest
    /// page without it).
    pub async fn messages(
        &self,
        id: &RecordRef,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<MessagePage> {
        let mut url = self.session_url(id, Some("messages"));
        push_query(&mut url, "before", before);
        push_query(&mut url, "limit", limit);
        self.get(url).await
    }

    pub async fn export(&self, id: &RecordRef, format: ExportFormat) -> Result<ExportedFile> {
        let mut url = self.session_url(id, Some("export"));
        let format = match format {
            ExportFormat::Markdown => "markdown",
            ExportFormat::Json => "json",
        };
        push_query(&mut url, "format", Some(format));
        self.get(url).await
    }

    /// One of the account's attachments with its bytes (a file or image
    /// sent with a message, from this device or another).
    pub async fn attachment(&self, id: i64) -> Result<crate::chat::Attachment> {
        let url = self.url(&format!("/v1/attachments/{id}"), &[]);
        self.get(url).await
    }

    /// Opens a checkout on the server (which holds the Autumn key).
    pub async fn checkout(&self, product: Product) -> Result<Checkout> {
        #[derive(Serialize)]
        struct CheckoutRequest {
            product: Product,
        }
        let url = self.url("/v1/purchases/checkout", &[]);
        self.send_json(Method::POST, url, &CheckoutRequest { product })
            .await
    }

    pub async fn pending_checkouts(&self) -> Result<Vec<PendingCheckout>> {
        self.get(self.url("/v1/purchases/pending", &[])).await
    }

    /// Asks the server to reconcile purchases with Autumn (what the
    /// `banter://purchase/complete` return triggers in hosted mode).
    pub async fn refresh_purchases(&self) -> Result<ReconcileReport> {
        let url = self.url("/v1/purchases/refresh", &[]);
        self.send_json(Method::POST, url, &serde_json::json!({}))
            .await
    }

    /// Signs every other device of the account out; returns how many.
    pub async fn sign_out_others(&self) -> Result<usize> {
        let url = self.url("/v1/auth/sign-out-others", &[]);
        let count: SignedOutCount = self
            .send_json(Method::POST, url, &serde_json::json!({}))
            .await?;
        Ok(count.signed_out)
    }

    /// Signs out on this computer only, for when the server cannot be
    /// told (offline, or gone): the tokens, the sign-in and the account's
    /// copy of its history are removed here. The server lists the device
    /// until it is signed out from another one, but nobody on this computer
    /// holds its tokens any more.
    pub async fn sign_out_here_only(&self) {
        self.forget_here(AtSignOut::RemoveCopy).await;
    }

    /// [`Self::sign_out_here_only`], with this computer's copy of the
    /// account's history left as `copy` says.
    pub async fn sign_out_here_only_with(&self, copy: AtSignOut) {
        self.forget_here(copy).await;
    }

    /// Signs this device out on the server, then forgets it here. A device
    /// the server had already signed out counts as done; when the server
    /// cannot be reached nothing is forgotten (so it can be tried again, or
    /// [`Self::sign_out_here_only`] chosen).
    pub async fn sign_out(&self) -> Result<()> {
        self.sign_out_with(AtSignOut::RemoveCopy).await
    }

    /// [`Self::sign_out`], with this computer's copy of the account's
    /// history left as `copy` says.
    pub async fn sign_out_with(&self, copy: AtSignOut) -> Result<()> {
        let keep = copy == AtSignOut::KeepCopy;
        if keep {
            self.mark_copy_kept(true).await;
        }
        let server = self.transport();
        let result = self
            .authorized(|token| async move { sign_out_device(server, &token).await })
            .await;
        match result {
            Ok(_) => {}
            Err(HostedError::SignedOut { .. }) => {}
            Err(HostedError::NotSignedIn(_)) => {}
            Err(e) => {
                if keep {
                    self.mark_copy_kept(false).await;
                }
                return Err(e);
            }
        }
        self.forget_here(copy).await;
        Ok(())
    }
}

/// `POST /v1/auth/sign-out` as the device holding `access_token`: the
/// server revokes that device. The one sign-out request, sent by
/// [`HostedClient::sign_out`] and for a sign-in whose tokens this computer
/// could not keep (`sign_in::complete`).
pub(super) async fn sign_out_device(server: &Server, access_token: &str) -> Result<()> {
    let request = server
        .http()
        .post(server.url("/v1/auth/sign-out", &[]))
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&serde_json::json!({}));
    server.json::<SignedOutCount>(request).await.map(drop)
}

/// Appends `name=value` when there is a value.
pub(super) fn push_query(url: &mut Url, name: &str, value: Option<impl ToString>) {
    if let Some(value) = value {
        url.query_pairs_mut().append_pair(name, &value.to_string());
    }
}
