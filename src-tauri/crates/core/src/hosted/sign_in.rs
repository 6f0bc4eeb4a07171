//! Signing a device in to a server through a loopback redirect (the CLI's
//! way, RFC 8252 §7.3): the server names its OpenID Connect provider
//! (`GET /v1/auth/config`), the client discovers it and builds the PKCE
//! authorization URL returning to its [`LoopbackListener`], waits for the
//! browser, and hands the code grant to the server (`POST /v1/auth/token`),
//! which answers with this device's tokens. The tokens go to the keyring,
//! who signed in to settings.

use super::accounts::{HostedAccount, HostedAccounts};
use super::api::sign_out_device;
use super::client::HostedClient;
use super::error::HostedError;
use super::http::Server;
use super::tokens::DeviceTokens;
use super::types::{Account, SignInConfig, TokenAnswer};
use crate::account::{discovery, CodeGrant, LoopbackListener, SignInAttempt};
use crate::error::Result;
use reqwest::Url;
use serde::Serialize;
use std::time::Duration;

/// A sign-in waiting for the browser.
#[derive(Debug)]
pub struct PendingSignIn {
    server: Server,
    accounts: HostedAccounts,
    attempt: SignInAttempt,
    listener: LoopbackListener,
}

/// A finished sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    #[serde(flatten)]
    pub account: HostedAccount,
    /// True when this sign-in created the account on the server.
    pub created: bool,
}

impl PendingSignIn {
    pub(super) async fn begin(server: Server, accounts: HostedAccounts) -> Result<Self> {
        let listener = LoopbackListener::bind().await?;
        let attempt = begin_attempt(&server, listener.redirect_uri()).await?;
        Ok(Self {
            server,
            accounts,
            attempt,
            listener,
        })
    }

    /// The page to open in the browser.
    pub fn authorization_url(&self) -> &Url {
        self.attempt.authorization_url()
    }

    /// Waits at most `timeout` for the browser to come back, then signs
    /// this device in as `device_name` (see [`complete`]).
    pub async fn finish(self, timeout: Duration, device_name: &str) -> Result<SignedIn> {
        let answer = self.listener.wait(timeout).await?;
        let grant = self.attempt.finish(answer)?;
        complete(&self.accounts, &self.server, &grant, device_name).await
    }
}

/// A fresh attempt at the provider the server at `server` names
/// (`GET /v1/auth/config`, then its discovery document), returning to
/// `redirect_uri`.
pub(super) async fn begin_attempt(server: &Server, redirect_uri: &str) -> Result<SignInAttempt> {
    let config: SignInConfig = server
        .json(server.http().get(server.url("/v1/auth/config", &[])))
        .await?;
    let metadata = discovery::fetch(&config.issuer).await?;
    Ok(SignInAttempt::begin(
        &metadata,
        &config.client_id,
        redirect_uri,
    )?)
}

/// Signs this device in to `server` with the provider's `grant`, as
/// `device_name`, whichever way the browser came back. A sign-in to another
/// server or as another device that was in force is signed out first (best
/// effort: an unreachable old server keeps a device it no longer hears from).
pub(super) async fn complete(
    accounts: &HostedAccounts,
    server: &Server,
    grant: &CodeGrant,
    device_name: &str,
) -> Result<SignedIn> {
    let (tokens, created) = exchange(server, grant, device_name).await?;
    if let Some(previous) = accounts.current().await? {
        if let Err(error) = previous.sign_out().await {
            // Its tokens and its copy of the history still go from here.
            tracing::warn!(%error, "the previous sign-in could not be revoked on its server");
            previous.sign_out_here_only().await;
        }
    }
    let slot = accounts.slot(server);
    if let Err(error) = slot.save(&tokens) {
        // A device this computer cannot keep must not stay signed in (best
        // effort: the tokens are about to be dropped either way).
        if let Err(error) = sign_out_device(server, &tokens.access_token).await {
            tracing::warn!(%error, "a device whose tokens could not be kept stays on the server");
        }
        return Err(error.into());
    }
    let client = HostedClient::new(server.clone(), slot, accounts.settings().clone());
    let me: Account = client.get(server.url("/v1/account", &[])).await?;
    let account = HostedAccount {
        server: server.origin(),
        user_id: me.user_id,
        display_name: me.display_name,
        email: me.email,
        device_id: me.device_id,
        signed_in_at: chrono::Utc::now(),
    };
    accounts.settings().set_hosted_account(&account).await?;
    tracing::info!(server = %account.server, created, "signed in");
    Ok(SignedIn { account, created })
}

/// `POST /v1/auth/token`: the grant for this device's tokens.
async fn exchange(
    server: &Server,
    grant: &CodeGrant,
    device_name: &str,
) -> Result<(DeviceTokens, bool), HostedError> {
    #[derive(Serialize)]
    struct TokenRequest<'a> {
        grant: &'a CodeGrant,
        device_name: &'a str,
    }
    let answer: TokenAnswer = server
        .json(
            server
                .http()
                .post(server.url("/v1/auth/token", &[]))
                .json(&TokenRequest { grant, device_name }),
        )
        .await?;
    Ok((
        DeviceTokens {
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
            device_id: answer.device_id,
        },
        answer.created,
    ))
}
