//! [`HostedClient`]: calls to one server as this device, with its tokens.
//!
//! Each call carries the access token. When the server answers
//! `token_expired`, the client refreshes once — the rotated pair is stored
//! in the keyring before the new access token is used, so a crash never
//! leaves the device holding a used refresh token — and repeats the call.
//! When the server says the device is signed out (`device_revoked`,
//! `refresh_token_reused`, or a token it does not know), the tokens and the
//! sign-in are removed from this computer and the call fails with
//! [`HostedError::SignedOut`].

use super::error::HostedError;
use super::http::Server;
use super::reachability::Reachability;
use super::replica::AtSignOut;
use super::replica::Shelf;
use super::tokens::{DeviceTokens, TokenSlot};
use super::types::TokenAnswer;
use crate::error::ErrorCode;
use crate::settings::Settings;
use reqwest::{Method, Response, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// A signed-in device's view of its server. Cheap to clone; clones share
/// the tokens in memory.
#[derive(Debug, Clone)]
pub struct HostedClient {
    server: Server,
    slot: TokenSlot,
    settings: Settings,
    /// Loaded from the keyring on first use; the lock also makes
    /// concurrent refreshes take turns.
    tokens: Arc<Mutex<Option<DeviceTokens>>>,
    /// The file that makes refreshes of this profile's processes take
    /// turns (see [`refresh_lock_path`]).
    refresh_lock: Option<PathBuf>,
    /// The account's copy of its history on this computer (see
    /// [`super::replica`]) and its shelf, removed when the device is
    /// signed out.
    copy: Option<(Shelf, PathBuf)>,
    /// The device this client is: tokens of another one in the keyring
    /// (a later sign-in on this profile) are not its own.
    device_id: Option<String>,
    /// Told how each call went (see [`super::reachability`]).
    reachability: Option<Reachability>,
}

/// The lock file of refreshes in a profile's `run` directory: two CLI
/// processes whose access token expired together must not both present the
/// one refresh token — the second would be a reuse and sign the device out.
pub(crate) fn refresh_lock_path(run_dir: &Path) -> PathBuf {
    run_dir.join("hosted-refresh.lock")
}

/// Takes the lock at `path`, waiting for another process to release it.
/// Without it (the file cannot be opened) refreshes still take turns
/// within this process.
async fn lock_file(path: Option<PathBuf>) -> Option<File> {
    let path = path?;
    let locked = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await;
    match locked {
        Ok(Ok(file)) => Some(file),
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot lock the refresh lock file; refreshing without it");
            None
        }
        Err(error) => {
            tracing::warn!(%error, "the refresh lock task failed; refreshing without it");
            None
        }
    }
}

/// What one request is: built again for the retry after a refresh.
pub(super) struct Call<'a, B: Serialize + ?Sized> {
    pub method: Method,
    pub url: Url,
    pub body: Option<&'a B>,
}

impl HostedClient {
    pub(super) fn new(server: Server, slot: TokenSlot, settings: Settings) -> Self {
        Self {
            server,
            slot,
            settings,
            tokens: Arc::default(),
            refresh_lock: None,
            copy: None,
            device_id: None,
            reachability: None,
        }
    }

    pub(super) fn with_reachability(mut self, reachability: Reachability) -> Self {
        self.reachability = Some(reachability);
        self
    }

    pub(super) fn with_copy(mut self, shelf: Shelf, dir: PathBuf) -> Self {
        self.copy = Some((shelf, dir));
        self
    }

    /// Tells every window `event`, when this client has the profile's bus.
    pub(super) fn announce(&self, event: crate::events::DomainEvent) {
        if let Some(reachability) = &self.reachability {
            reachability.announce(event);
        }
    }

    pub(super) fn with_device(mut self, device_id: &str) -> Self {
        self.device_id = Some(device_id.to_string());
        self
    }

    pub(super) fn with_refresh_lock(mut self, path: Option<PathBuf>) -> Self {
        self.refresh_lock = path;
        self
    }

    /// The server's origin.
    pub fn server(&self) -> String {
        self.server.origin()
    }

    pub(super) fn transport(&self) -> &Server {
        &self.server
    }

    /// `GET`s `url` and reads JSON.
    pub(super) async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, HostedError> {
        self.json(Call::<()> {
            method: Method::GET,
            url,
            body: None,
        })
        .await
    }

    /// Runs `call` and reads a JSON answer.
    pub(super) async fn json<T, B>(&self, call: Call<'_, B>) -> Result<T, HostedError>
    where
        T: DeserializeOwned,
        B: Serialize + ?Sized,
    {
        self.authorized(|token| self.server.json(self.request(&call, &token)))
            .await
    }

    /// Runs `call`, whose success has no body (`204 No Content`).
    pub(super) async fn no_content<B>(&self, call: Call<'_, B>) -> Result<(), HostedError>
    where
        B: Serialize + ?Sized,
    {
        self.authorized(|token| self.server.no_content(self.request(&call, &token)))
            .await
    }

    /// Runs `call` without a timeout on the whole answer (a streamed
    /// reply); the answer is returned once its status is a success.
    pub(super) async fn open<B>(&self, call: Call<'_, B>) -> Result<Response, HostedError>
    where
        B: Serialize + ?Sized,
    {
        self.authorized(|token| self.server.send(self.request(&call, &token)))
            .await
    }

    /// Runs `attempt` with the access token; on `token_expired`, refreshes
    /// once and runs it again with the new one. A device the server signed
    /// out is forgotten here ([`Self::check_signed_out`]).
    pub(super) async fn authorized<T, F, Fut>(&self, attempt: F) -> Result<T, HostedError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, HostedError>>,
    {
        let tokens = self.tokens().await?;
        let answer = match attempt(tokens.access_token.clone()).await {
            Err(e) if e.server_code() == Some(ErrorCode::TokenExpired) => {
                match self.refresh(&tokens).await {
                    Ok(fresh) => attempt(fresh.access_token.clone()).await,
                    Err(e) => Err(e),
                }
            }
            other => other,
        };
        if let Some(reachability) = &self.reachability {
            reachability.note(&answer);
        }
        self.check_signed_out(answer).await
    }

    fn request<B: Serialize + ?Sized>(
        &self,
        call: &Call<'_, B>,
        access_token: &str,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .server
            .http()
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = call.body {
            request = request.json(body);
        }
        request
    }

    /// The device's tokens, from memory or the keyring.
    async fn tokens(&self) -> Result<DeviceTokens, HostedError> {
        let mut held = self.tokens.lock().await;
        if let Some(tokens) = held.as_ref() {
            return Ok(tokens.clone());
        }
        let loaded = self.own(self.slot.load()?).ok_or_else(|| {
            HostedError::NotSignedIn(format!(
                "this computer holds no tokens for {}; sign in again",
                self.server.origin()
            ))
        })?;
        *held = Some(loaded.clone());
        Ok(loaded)
    }

    /// `tokens` from the keyring if they are this client's device's (the
    /// keyring entry is the profile's: a later sign-in replaces them).
    fn own(&self, tokens: Option<DeviceTokens>) -> Option<DeviceTokens> {
        tokens.filter(|t| self.device_id.as_ref().is_none_or(|d| *d == t.device_id))
    }

    /// A fresh pair in place of `stale`. Another task (or another process,
    /// through the keyring) may have refreshed already: its pair is used
    /// rather than presenting a used refresh token, which would sign the
    /// device out.
    async fn refresh(&self, stale: &DeviceTokens) -> Result<DeviceTokens, HostedError> {
        let mut held = self.tokens.lock().await;
        if let Some(current) = held
            .as_ref()
            .filter(|t| t.access_token != stale.access_token)
        {
            return Ok(current.clone());
        }
        // Held until the rotated pair is stored (dropped at return).
        let _turn = lock_file(self.refresh_lock.clone()).await;
        if let Some(stored) = self
            .own(self.slot.load()?)
            .filter(|t| t.access_token != stale.access_token)
        {
            *held = Some(stored.clone());
            return Ok(stored);
        }
        #[derive(Serialize)]
        struct RefreshRequest<'a> {
            refresh_token: &'a str,
        }
        let request = self
            .server
            .http()
            .post(self.server.url("/v1/auth/refresh", &[]))
            .json(&RefreshRequest {
                refresh_token: &stale.refresh_token,
            });
        let answer: Result<TokenAnswer, _> = self.server.json(request).await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                // Released first: forgetting the sign-in takes the lock.
                *held = None;
                drop(held);
                return self.check_signed_out(Err(e)).await;
            }
        };
        let fresh = DeviceTokens {
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
            device_id: answer.device_id,
        };
        // Stored before it is used: the old refresh token is spent now.
        self.slot.save(&fresh)?;
        *held = Some(fresh.clone());
        tracing::debug!(server = %self.server.origin(), "access token refreshed");
        Ok(fresh)
    }

    /// Turns the server's "this device is signed out" into forgetting the
    /// sign-in here and [`HostedError::SignedOut`].
    pub(super) async fn check_signed_out<T>(
        &self,
        result: Result<T, HostedError>,
    ) -> Result<T, HostedError> {
        let Err(HostedError::Server { error, .. }) = &result else {
            return result;
        };
        if !matches!(
            error.code,
            ErrorCode::DeviceRevoked | ErrorCode::RefreshTokenReused | ErrorCode::NotSignedIn
        ) {
            return result;
        }
        let code = error.code;
        let message = error.message.clone();
        // A device signed out elsewhere (lost, say) keeps nothing — but a
        // copy the user chose to keep at a sign-out under way stays.
        self.forget_sign_in().await;
        if let Some((shelf, dir)) = &self.copy {
            shelf.remove_unless_kept(dir).await;
        }
        Err(HostedError::SignedOut {
            code,
            server: self.server.origin(),
            message,
        })
    }

    /// Removes the tokens, the sign-in and the account's copy of its
    /// history from this computer (a device signed out from elsewhere may
    /// be a lost one). Failures are logged: the server no longer honours
    /// the tokens either way.
    pub(super) async fn forget_here(&self, copy: AtSignOut) {
        self.forget_sign_in().await;
        if let Some((shelf, dir)) = &self.copy {
            match copy {
                AtSignOut::RemoveCopy => shelf.remove(dir).await,
                AtSignOut::KeepCopy => shelf.keep(dir).await,
            }
        }
    }

    /// The tokens and the sign-in go from this computer. The tokens stay
    /// locked until the keyring no longer holds them, so no clone of this
    /// client reads them back meanwhile.
    async fn forget_sign_in(&self) {
        let mut tokens = self.tokens.lock().await;
        *tokens = None;
        if let Err(error) = self.slot.clear() {
            tracing::warn!(%error, "could not remove the server tokens from the keyring");
        }
        drop(tokens);
        if let Err(error) = self.settings.clear_hosted_account().await {
            tracing::warn!(%error, "could not clear the sign-in from settings");
        }
    }

    /// Marks this computer's copy as kept (`true`, before a sign-out that
    /// keeps it: whatever signs the device out first — that sign-out, a
    /// concurrent call the server refuses, the app's follower — then leaves
    /// the copy) or not (the sign-out did not happen).
    pub(super) async fn mark_copy_kept(&self, kept: bool) {
        if let Some((shelf, dir)) = &self.copy {
            shelf.mark_kept(dir, kept).await;
        }
    }
}
