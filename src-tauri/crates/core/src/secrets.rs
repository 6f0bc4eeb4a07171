//! Where API keys live: the OS keyring (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows), behind [`SecretStore`] so tests use
//! memory. Keys never touch the database, the logs or the UI; the UI only
//! learns whether one is configured.
//!
//! `BANTER_KEYRING=off` turns the keyring off (headless machines, CI): keys
//! then come from the environment only.

use crate::error::ErrorCode;
use crate::providers::{ProviderConfig, ProviderError, Secret};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};

/// The keyring "service" our entries are filed under.
const SERVICE: &str = "app.banter.desktop";
pub const ENV_KEYRING: &str = "BANTER_KEYRING";

/// The keys Banter keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretName {
    /// A chat model's API key, bound to the endpoint it was saved for: the
    /// provider kind and the endpoint's origin (`scheme://host[:port]`). A
    /// key saved for one endpoint is never looked up for another, so the
    /// Azure key cannot reach an OpenAI-compatible server (or the other way
    /// round), and a changed host asks for its key again.
    ProviderKey { kind: &'static str, origin: String },
    /// Autumn's secret key (an operator secret; see docs/threat-model.md).
    AutumnKey,
    /// A device's access and refresh token for a Banter server (one entry,
    /// so a rotation is one write), by the server's origin and the local
    /// profile signed in to it.
    HostedTokens { origin: String, profile: String },
    /// The single provider key of versions before keys were bound to their
    /// endpoint. Read once to move it into the slot of the endpoint saved in
    /// settings (the one it was being sent to), then deleted.
    LegacyProviderKey,
}

impl SecretName {
    /// The key slot for `config`'s endpoint. Fails, like building the
    /// provider would, for an endpoint a key must not be sent to.
    pub fn provider_key(config: &ProviderConfig) -> Result<Self, ProviderError> {
        let origin = crate::providers::check_endpoint(config)?;
        let kind = match config {
            ProviderConfig::Azure(_) => "azure",
            ProviderConfig::OpenAiCompatible(_) => "openai_compatible",
        };
        Ok(Self::ProviderKey { kind, origin })
    }

    fn account(&self) -> String {
        match self {
            Self::ProviderKey { kind, origin } => format!("provider-api-key/{kind}/{origin}"),
            Self::AutumnKey => "autumn-secret-key".to_string(),
            Self::HostedTokens { origin, profile } => format!("hosted-tokens/{origin}/{profile}"),
            Self::LegacyProviderKey => "provider-api-key".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring is not available ({0}); set the key in the environment instead")]
    Unavailable(String),
}

impl SecretError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unavailable(_) => ErrorCode::KeyringUnavailable,
        }
    }
}

pub trait SecretStore: Send + Sync + Debug {
    fn get(&self, name: SecretName) -> Result<Option<Secret>, SecretError>;
    fn set(&self, name: SecretName, value: &Secret) -> Result<(), SecretError>;
    fn delete(&self, name: SecretName) -> Result<(), SecretError>;
}

pub type SharedSecrets = Arc<dyn SecretStore>;

/// The keyring, unless `BANTER_KEYRING=off`.
pub fn default_store() -> SharedSecrets {
    match std::env::var(ENV_KEYRING).as_deref() {
        Ok("off") | Ok("0") | Ok("false") => Arc::new(NoSecrets),
        _ => Arc::new(OsKeyring),
    }
}

/// The operating system's keyring.
#[derive(Debug)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(name: &SecretName) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, &name.account()).map_err(unavailable)
    }
}

fn unavailable(e: keyring::Error) -> SecretError {
    SecretError::Unavailable(e.to_string())
}

impl SecretStore for OsKeyring {
    fn get(&self, name: SecretName) -> Result<Option<Secret>, SecretError> {
        match Self::entry(&name)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, name: SecretName, value: &Secret) -> Result<(), SecretError> {
        Self::entry(&name)?
            .set_password(value.expose())
            .map_err(unavailable)
    }

    fn delete(&self, name: SecretName) -> Result<(), SecretError> {
        match Self::entry(&name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// No keyring: nothing is stored, saving a key is refused.
#[derive(Debug)]
pub struct NoSecrets;

impl SecretStore for NoSecrets {
    fn get(&self, _: SecretName) -> Result<Option<Secret>, SecretError> {
        Ok(None)
    }

    fn set(&self, _: SecretName, _: &Secret) -> Result<(), SecretError> {
        Err(SecretError::Unavailable(format!("{ENV_KEYRING}=off")))
    }

    fn delete(&self, _: SecretName) -> Result<(), SecretError> {
        Ok(())
    }
}

/// Keys in memory, for tests.
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<SecretName, Secret>>);

impl SecretStore for MemorySecrets {
    fn get(&self, name: SecretName) -> Result<Option<Secret>, SecretError> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(map.get(&name).cloned())
    }

    fn set(&self, name: SecretName, value: &Secret) -> Result<(), SecretError> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(name, value.clone());
        Ok(())
    }

    fn delete(&self, name: SecretName) -> Result<(), SecretError> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(&name);
        Ok(())
    }
}
