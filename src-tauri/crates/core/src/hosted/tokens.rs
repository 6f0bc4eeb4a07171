//! A device's tokens and where they live: one OS keyring entry per server
//! origin and local profile ([`SecretName::HostedTokens`]), holding the
//! access and refresh token together, so a rotation is one write — a
//! refreshed pair is never half stored.

use super::error::HostedError;
use crate::providers::Secret;
use crate::secrets::{SecretName, SharedSecrets};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the server issued to this device. `Debug` shows neither token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub device_id: String,
}

impl fmt::Debug for DeviceTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceTokens")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// The keyring entry of one server's tokens for one local profile.
#[derive(Debug, Clone)]
pub struct TokenSlot {
    secrets: SharedSecrets,
    name: SecretName,
}

impl TokenSlot {
    pub fn new(secrets: SharedSecrets, origin: &str, profile_id: &str) -> Self {
        Self {
            secrets,
            name: SecretName::HostedTokens {
                origin: origin.to_string(),
                profile: profile_id.to_string(),
            },
        }
    }

    /// The stored tokens; `None` when there are none. A damaged entry
    /// counts as none (the device must sign in again), never as a guess.
    pub fn load(&self) -> Result<Option<DeviceTokens>, HostedError> {
        let Some(secret) = self.secrets.get(self.name.clone())? else {
            return Ok(None);
        };
        match serde_json::from_str(secret.expose()) {
            Ok(tokens) => Ok(Some(tokens)),
            Err(_) => {
                tracing::warn!("the stored server tokens are damaged; signing in again is needed");
                Ok(None)
            }
        }
    }

    pub fn save(&self, tokens: &DeviceTokens) -> Result<(), HostedError> {
        let json = serde_json::to_string(tokens)
            .map_err(|e| HostedError::BadResponse(format!("encoding the tokens: {e}")))?;
        self.secrets.set(self.name.clone(), &Secret::new(json))?;
        Ok(())
    }

    pub fn clear(&self) -> Result<(), HostedError> {
        self.secrets.delete(self.name.clone())?;
        Ok(())
    }
}
