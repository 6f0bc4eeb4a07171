//! Signing the desktop app in: the system browser comes back through the
//! `banter://auth/callback` deep link (RFC 8252 §7.1, a private-use URI
//! scheme), which the OS hands to the running app (single instance
//! forwards it). The attempt waits in [`HostedAccounts`] until its answer
//! arrives; only an answer carrying its `state` finishes it, so a stray or
//! forged link neither signs anyone in nor cancels the real attempt. It
//! waits [`APP_SIGN_IN_LIFETIME`] at most.

use super::accounts::HostedAccounts;
use super::http::Server;
use super::sign_in::{begin_attempt, complete, SignedIn};
use crate::account::{AccountError, AuthorizationResponse, SignInAttempt};
use crate::error::Result;
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Url;

/// Where the provider sends the browser back to the app (registered with
/// the provider as Banter's redirect URI).
pub const APP_REDIRECT_URI: &str = "banter://auth/callback";

/// How long the app waits for the browser to come back. The waiting
/// attempt holds a PKCE verifier and `state`; kept forever, a link surfacing
/// hours later (an old browser tab, a link replayed from history) would
/// still finish a sign-in the user has long walked away from. Ten minutes is
/// ample for a person at the provider's page, and no provider's code outlives
/// it (RFC 6749 §4.1.2 recommends at most ten minutes).
pub const APP_SIGN_IN_LIFETIME: TimeDelta = TimeDelta::minutes(10);

/// A sign-in of the app waiting for the browser.
#[derive(Debug)]
pub(super) struct AppSignIn {
    server: Server,
    attempt: SignInAttempt,
    /// When [`APP_SIGN_IN_LIFETIME`] runs out.
    expires_at: DateTime<Utc>,
}

impl AppSignIn {
    fn expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

impl HostedAccounts {
    /// Starts signing the app in to the server at `url`; returns the page
    /// to open in the system browser. A newer attempt replaces an older one,
    /// expired or not.
    pub async fn begin_app_sign_in(&self, url: &str) -> Result<Url> {
        let server = Server::new(url)?;
        let attempt = begin_attempt(&server, APP_REDIRECT_URI).await?;
        let page = attempt.authorization_url().clone();
        let expires_at = self.clock().now() + APP_SIGN_IN_LIFETIME;
        *self.pending_app_sign_in() = Some(AppSignIn {
            server,
            attempt,
            expires_at,
        });
        Ok(page)
    }

    /// Whether the app is waiting for the browser (an expired attempt no
    /// longer is).
    pub fn app_sign_in_pending(&self) -> bool {
        let now = self.clock().now();
        self.pending_app_sign_in()
            .as_ref()
            .is_some_and(|waiting| !waiting.expired(now))
    }

    /// Finishes the app's sign-in with the browser's `answer` (the deep
    /// link's), as `device_name`. Refused (`sign_in_state_mismatch`) when no
    /// attempt is waiting or the answer is another attempt's; that leaves a
    /// waiting attempt in place. An attempt older than
    /// [`APP_SIGN_IN_LIFETIME`] is refused (`sign_in_timed_out`) and
    /// forgotten, whatever the answer. Any other outcome ends the attempt.
    pub async fn complete_app_sign_in(
        &self,
        answer: AuthorizationResponse,
        device_name: &str,
    ) -> Result<SignedIn> {
        let (server, grant) = {
            let mut pending = self.pending_app_sign_in();
            let Some(waiting) = pending.as_ref() else {
                return Err(AccountError::StateMismatch.into());
            };
            if waiting.expired(self.clock().now()) {
                *pending = None;
                return Err(AccountError::TimedOut.into());
            }
            // Another attempt's answer leaves this one waiting.
            let grant = match waiting.attempt.finish(answer) {
                Err(AccountError::StateMismatch) => return Err(AccountError::StateMismatch.into()),
                other => other,
            };
            let server = waiting.server.clone();
            *pending = None;
            (server, grant?)
        };
        complete(self, &server, &grant, device_name).await
    }

    /// Forgets the attempt the app was waiting on (the user gave up).
    pub fn cancel_app_sign_in(&self) {
        self.pending_app_sign_in().take();
    }
}
