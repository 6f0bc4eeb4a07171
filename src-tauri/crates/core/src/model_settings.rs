//! The chat model as the Settings screen sees it: which configuration is in
//! force and where it came from, whether a key is configured (never the key),
//! saving a new one, and a connection check.

use crate::error::Result;
use crate::providers::{
    self, ChatRequest, PromptMessage, PromptRole, ProviderConfig, ProviderError, ProviderEvent,
    Secret,
};
use crate::secrets::SecretName;
use crate::settings::SavedModel;
use crate::Core;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Whether `slot` is the key slot of the Azure resource
/// `AZURE_OPENAI_ENDPOINT` names (the one `AZURE_OPENAI_KEY` is for).
fn is_environment_endpoint(slot: &SecretName) -> bool {
    let Ok(Some(azure)) = providers::AzureConfig::from_env() else {
        return false;
    };
    SecretName::provider_key(&ProviderConfig::Azure(azure)).is_ok_and(|env| &env == slot)
}

/// Where the configuration in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ConfigSource {
    /// `AZURE_OPENAI_*` variables; they override saved settings.
    Environment,
    Settings,
    None,
}

/// Where the key comes from: the keyring first, then the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    Keyring,
    Environment,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSettings {
    pub source: ConfigSource,
    pub config: Option<ProviderConfig>,
    pub key_configured: bool,
    pub key_source: KeySource,
    /// The model in use, e.g. "Azure OpenAI · o3-mini"; `None` if none is.
    pub label: Option<String>,
}

/// What the Settings screen saves.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSettingsInput {
    pub config: ProviderConfig,
    /// A new key for the keyring; `None` keeps the current one.
    pub api_key: Option<String>,
    /// Removes the key from the keyring.
    pub clear_key: bool,
}

/// A successful connection check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionCheck {
    pub label: String,
    /// From sending the request to the first reply event.
    pub latency_ms: u32,
}

impl Core {
    /// The key for `config`'s endpoint: the keyring entry bound to that
    /// endpoint (see [`SecretName::ProviderKey`]) first, then, for the Azure
    /// resource `AZURE_OPENAI_ENDPOINT` names only, `AZURE_OPENAI_KEY`. No model, or an endpoint a key must not go
    /// to, has no key. A keyring that cannot be reached is logged and skipped.
    pub(crate) fn provider_key(
        &self,
        config: Option<&ProviderConfig>,
    ) -> (Option<Secret>, KeySource) {
        let Some(config) = config else {
            return (None, KeySource::None);
        };
        let Ok(slot) = SecretName::provider_key(config) else {
            return (None, KeySource::None);
        };
        match self.secrets.get(slot.clone()) {
            Ok(Some(key)) => return (Some(key), KeySource::Keyring),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "keyring unavailable; using the environment"),
        }
        // `AZURE_OPENAI_KEY` belongs to `AZURE_OPENAI_ENDPOINT`: it is never
        // offered to another Azure resource, nor to an OpenAI-compatible server.
        let env_key = match config {
            ProviderConfig::Azure(_) if is_environment_endpoint(&slot) => {
                providers::azure_key_from_env()
            }
            _ => None,
        };
        match env_key {
            Some(key) => (Some(key), KeySource::Environment),
            None => (None, KeySource::None),
        }
    }

    /// Moves a key saved by a version before keys were bound to endpoints
    /// into the slot of `saved`, the endpoint in settings: that is where the
    /// old version sent it, so upgrading keeps working without asking for
    /// the key again. Nothing happens when the slot already has a key or
    /// there is no old key; a keyring error is logged and skipped.
    pub(crate) fn adopt_legacy_provider_key(&self, saved: &ProviderConfig) {
        let Ok(slot) = SecretName::provider_key(saved) else {
            return;
        };
        let moved = (|| {
            if self.secrets.get(slot.clone())?.is_some() {
                return Ok(false);
            }
            let Some(old) = self.secrets.get(SecretName::LegacyProviderKey)? else {
                return Ok(false);
            };
            self.secrets.set(slot, &old)?;
            self.secrets.delete(SecretName::LegacyProviderKey)?;
            Ok::<_, crate::secrets::SecretError>(true)
        })();
        match moved {
            Ok(true) => tracing::info!("the saved provider key is now bound to its endpoint"),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "could not move the old provider key"),
        }
    }

    /// The default model's configuration and where it came from.
    pub async fn provider_settings(&self) -> Result<ProviderSettings> {
        let configured = self.load_models().await?;
        let default = self.model.default_name();
        let in_force = configured
            .into_iter()
            .find(|(m, _)| Some(&m.name) == default.as_ref());
        let (source, config) = match in_force {
            Some((model, true)) => (ConfigSource::Environment, Some(model.config)),
            Some((model, false)) => (ConfigSource::Settings, Some(model.config)),
            None => (ConfigSource::None, None),
        };
        let (key, key_source) = self.provider_key(config.as_ref());
        Ok(ProviderSettings {
            source,
            config,
            key_configured: key.is_some(),
            key_source,
            label: self.model.label(),
        })
    }

    /// Saves the default model's configuration (adding it, named by its
    /// deployment, when none is saved) and the key, to the keyring slot of
    /// this model's endpoint (a new host starts with no key). A model that
    /// cannot be built yet (no key) is saved and reported by the next send
    /// or check, not here.
    pub async fn save_provider_settings(
        &self,
        input: ProviderSettingsInput,
    ) -> Result<ProviderSettings> {
        crate::settings::check_model_config(&input.config)?;
        self.store_model_key(&input.config, input.api_key.as_deref(), input.clear_key)?;
        self.settings
            .update_models(|saved| {
                let default = saved
                    .default
                    .clone()
                    .filter(|d| saved.models.iter().any(|m| &m.name == d))
                    .or_else(|| saved.models.first().map(|m| m.name.clone()));
                match default.and_then(|d| saved.models.iter_mut().find(|m| m.name == d)) {
                    Some(model) => model.config = input.config.clone(),
                    None => saved.models.push(SavedModel {
                        name: crate::models::name_of(&input.config),
                        config: input.config.clone(),
                    }),
                }
                Ok(None)
            })
            .await?;
        self.provider_settings().await
    }

    /// Sends a one-line request to the model called `name` (the default
    /// for `None`) and waits for its first event. Costs no credits (it is a
    /// settings check, not a chat).
    pub async fn check_connection(&self, name: Option<&str>) -> Result<ConnectionCheck> {
        self.load_models().await?;
        let provider = self.model.require_named(name)?;
        let request = ChatRequest {
            messages: vec![PromptMessage {
                role: PromptRole::User,
                content: "Reply with the single word: ok".into(),
                images: Vec::new(),
            }],
            max_completion_tokens: None,
            response_format: None,
            reasoning_effort: None,
        };
        let started = Instant::now();
        let mut stream = provider.stream_chat(request).await?;
        match stream.next().await {
            Some(Ok(
                ProviderEvent::Delta(_) | ProviderEvent::Finished(_) | ProviderEvent::Usage(_),
            )) => Ok(ConnectionCheck {
                label: provider.label(),
                latency_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
            }),
            Some(Err(error)) => Err(error.into()),
            None => Err(ProviderError::BadResponse("the model sent nothing".into()).into()),
        }
    }
}
