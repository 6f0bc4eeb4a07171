//! Which server this profile is signed in to, and as whom: a non-secret
//! [`HostedAccount`] in the profile's settings (the tokens are in the
//! keyring, see [`super::tokens`]). [`HostedAccounts`] is the door the
//! shells use: the current client, if signed in, and signing in.

use super::app_sign_in::AppSignIn;
use super::client::HostedClient;
use super::history::HostedHistory;
use super::http::Server;
use super::reachability::Reachability;
use super::replica::Shelf;
use super::sign_in::PendingSignIn;
use super::tokens::TokenSlot;
use crate::clock::SharedClock;
use crate::error::Result;
use crate::events::EventBus;
use crate::secrets::SharedSecrets;
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The profile's sign-in, as kept in settings. No token is in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HostedAccount {
    /// The server's origin (`https://banter.example.com`).
    pub server: String,
    pub user_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub device_id: String,
    pub signed_in_at: DateTime<Utc>,
}

/// Signing in and the signed-in client, for one local profile.
#[derive(Debug, Clone)]
pub struct HostedAccounts {
    settings: Settings,
    secrets: SharedSecrets,
    profile_id: String,
    /// Tells when a waiting app sign-in has expired (see `app_sign_in`).
    clock: SharedClock,
    /// The file processes of this profile lock while refreshing (see
    /// [`super::refresh_lock_path`]); `None` locks within the process only.
    refresh_lock: Option<PathBuf>,
    /// The app's sign-in waiting for the browser (see `app_sign_in`).
    pending: Arc<Mutex<Option<AppSignIn>>>,
    /// The accounts' copies of their history (see [`super::Replica`]).
    pub(super) copies: Shelf,
    /// Told how each call to the server went.
    reachability: Reachability,
    /// Hears what the follower brings in (see [`Self::follow`]).
    pub(super) events: EventBus,
    /// The client last made, with its tokens in memory: the app asks for
    /// the client at every command, and reading the keyring each time
    /// would be a D-Bus round trip per call.
    client: Arc<Mutex<Option<(HostedAccount, HostedClient)>>>,
}

impl HostedAccounts {
    /// Signing in for `profile_id`; each signed-in account's copy of its
    /// history lives under `copies_dir`, and `events` hears when the
    /// server stops or starts answering.
    pub(crate) fn new(
        settings: Settings,
        secrets: SharedSecrets,
        profile_id: String,
        copies_dir: PathBuf,
        clock: SharedClock,
        events: EventBus,
    ) -> Self {
        Self {
            settings,
            secrets,
            profile_id,
            clock,
            refresh_lock: None,
            pending: Arc::default(),
            copies: Shelf::new(copies_dir),
            reachability: Reachability::new(events.clone()),
            events,
            client: Arc::default(),
        }
    }

    pub(super) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub(super) fn pending_app_sign_in(&self) -> MutexGuard<'_, Option<AppSignIn>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Refreshes take turns across processes through the file at `path`.
    pub(crate) fn with_refresh_lock(mut self, path: PathBuf) -> Self {
        self.refresh_lock = Some(path);
        self
    }

    /// The sign-in in force, if any (no keyring lookup yet).
    pub async fn account(&self) -> Result<Option<HostedAccount>> {
        self.settings.hosted_account().await
    }

    /// The client of the server this profile is signed in to; `None` in
    /// local mode.
    pub async fn current(&self) -> Result<Option<HostedClient>> {
        let Some(account) = self.account().await? else {
            return Ok(None);
        };
        Ok(Some(self.client_for(&account)?))
    }

    /// The client of `account` (tokens read from the keyring on first use,
    /// then kept in memory by this profile's clients of that sign-in).
    pub fn client_for(&self, account: &HostedAccount) -> Result<HostedClient> {
        let mut last = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((held, client)) = last.as_ref() {
            if held == account {
                return Ok(client.clone());
            }
        }
        let server = Server::new(&account.server)?;
        let slot = self.slot(&server);
        let client = HostedClient::new(server, slot, self.settings.clone())
            .with_refresh_lock(self.refresh_lock.clone())
            .with_copy(self.copies.clone(), self.copies.dir_of(account))
            .with_device(&account.device_id)
            .with_reachability(self.reachability.clone());
        *last = Some((account.clone(), client.clone()));
        Ok(client)
    }

    /// The signed-in account's history, kept in this computer's copy;
    /// `None` in local mode.
    pub async fn history(&self) -> Result<Option<HostedHistory>> {
        let Some(account) = self.account().await? else {
            return Ok(None);
        };
        let client = self.client_for(&account)?;
        // Without its copy the history still goes to the server: a copy
        // that cannot be opened (a full disk, a damaged file) must not
        // stop what the server can do.
        let copy = match self.copies.open_for(&account, &self.clock).await {
            Ok(copy) => Some(copy),
            Err(error) => {
                tracing::warn!(code = %error.code(), "this computer's copy of the history cannot be opened");
                None
            }
        };
        Ok(Some(HostedHistory::new(client, copy)))
    }

    /// Starts signing in to the server at `url` through a loopback redirect
    /// (the CLI's way): the returned attempt has the page to open.
    pub async fn begin_sign_in(&self, url: &str) -> Result<PendingSignIn> {
        let server = Server::new(url)?;
        PendingSignIn::begin(server, self.clone()).await
    }

    pub(super) fn slot(&self, server: &Server) -> TokenSlot {
        TokenSlot::new(self.secrets.clone(), &server.origin(), &self.profile_id)
    }

    pub(super) fn settings(&self) -> &Settings {
        &self.settings
    }
}
