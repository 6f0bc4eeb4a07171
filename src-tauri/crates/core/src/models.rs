//! The chat models configured on this computer, by name: the list Settings
//! edits (stored as [`crate::settings::SavedModels`]), the model the
//! environment sets, and the catalogue built from them that answers chats
//! ([`crate::providers::ModelCatalog`]).
//!
//! Each model's key lives in the keyring slot of its endpoint
//! ([`SecretName::provider_key`]): two deployments of one Azure resource
//! share the resource's key, and a model on another endpoint never sees it.
//! Renaming a model moves its chats with it; removing one sends its chats
//! to the default model, both in the transaction that saves the list.

use crate::chat::SessionSettings;
use crate::error::{Error, Result};
use crate::model_settings::KeySource;
use crate::providers::catalog::{checked_model_name, MAX_MODEL_NAME_CHARS};
use crate::providers::{self, ModelSummary, NamedModel, ProviderConfig, Secret};
use crate::secrets::SecretName;
use crate::settings::SavedModel;
use crate::validate::ValidationError;
use crate::Core;
use serde::{Deserialize, Serialize};

/// Names the model `AZURE_OPENAI_*` sets; unset, it is named by its
/// deployment.
pub const ENV_MODEL_NAME: &str = "BANTER_AZURE_MODEL_NAME";

/// One model as Settings shows it: what the picker shows, plus how it is
/// called and whether a key is stored for it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConfiguredModel {
    pub summary: ModelSummary,
    pub config: ProviderConfig,
    pub key_configured: bool,
    pub key_source: KeySource,
    /// Set by `AZURE_OPENAI_*`: shown, not editable here, and the default
    /// while the variables are set.
    pub from_environment: bool,
}

/// A model Settings adds or changes.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ModelInput {
    pub name: String,
    /// The name of the model being edited (a new name renames it, and its
    /// chats follow); `None` adds a model.
    pub previous_name: Option<String>,
    pub config: ProviderConfig,
    /// A new key for the keyring slot of this model's endpoint; `None`
    /// keeps the stored one.
    pub api_key: Option<String>,
    /// Removes the key stored for this model's endpoint.
    pub clear_key: bool,
    pub make_default: bool,
}

/// The name a model gets when none was given: its deployment or model
/// name, cut to [`MAX_MODEL_NAME_CHARS`].
pub fn name_of(config: &ProviderConfig) -> String {
    let name = match config {
        ProviderConfig::Azure(azure) => azure.deployment.trim(),
        ProviderConfig::OpenAiCompatible(compat) => compat.model.trim(),
    };
    name.chars().take(MAX_MODEL_NAME_CHARS).collect()
}

/// The model `AZURE_OPENAI_*` sets, if they are set, named by
/// [`ENV_MODEL_NAME`] or its deployment (the desktop's and the server's).
pub fn environment_model() -> Result<Option<SavedModel>> {
    let Some(azure) = providers::AzureConfig::from_env()? else {
        return Ok(None);
    };
    let config = ProviderConfig::Azure(azure);
    let name = match std::env::var(ENV_MODEL_NAME) {
        Ok(name) if !name.trim().is_empty() => checked_model_name(&name)?,
        _ => name_of(&config),
    };
    Ok(Some(SavedModel { name, config }))
}

fn invalid(reason: String) -> Error {
    ValidationError::Invalid {
        field: "model name",
        reason,
    }
    .into()
}

/// The environment's part of what the catalogue is built from (see
/// [`Settings::models_stamp`](crate::settings::Settings::models_stamp)).
fn environment_stamp() -> String {
    [
        providers::config::ENV_ENDPOINT,
        providers::config::ENV_DEPLOYMENT,
        providers::config::ENV_API_VERSION,
        providers::config::ENV_FAMILY,
        providers::config::ENV_STREAM,
        providers::config::ENV_VISION,
        ENV_MODEL_NAME,
    ]
    .iter()
    .map(|name| std::env::var(name).unwrap_or_default())
    .collect::<Vec<_>>()
    .join("\u{1f}")
}

impl Core {
    /// Builds the catalogue chats are answered from: the environment's model
    /// first (the default while it is set), then the saved ones (one with
    /// the environment's name is hidden behind it). A model that cannot be
    /// built (no key, say) stays listed with the reason. Rebuilds take turns
    /// (an older read never replaces a newer one).
    ///
    /// Returns the models it was built from, each with whether the
    /// environment set it.
    pub(crate) async fn load_models(&self) -> Result<Vec<(SavedModel, bool)>> {
        let mut built = self.models_built.lock().await;
        let stamp = self.models_stamp().await?;
        let configured = self.build_models().await?;
        *built = Some(stamp);
        Ok(configured)
    }

    /// Rebuilds the catalogue only if the saved models or the environment
    /// changed since it was built (here or by another process on this
    /// profile, e.g. `banter-cli models add` while the app is open). One
    /// small read when nothing changed; a send calls it first.
    pub async fn refresh_models(&self) -> Result<()> {
        let mut built = self.models_built.lock().await;
        let stamp = self.models_stamp().await?;
        if built.as_deref() == Some(stamp.as_str()) {
            return Ok(());
        }
        self.build_models().await?;
        *built = Some(stamp);
        Ok(())
    }

    /// What the catalogue is built from, as its last build is remembered:
    /// the saved models' stamp and the environment's variables.
    async fn models_stamp(&self) -> Result<String> {
        Ok(format!(
            "{}\u{1e}{}",
            self.settings.models_stamp().await?,
            environment_stamp()
        ))
    }

    async fn build_models(&self) -> Result<Vec<(SavedModel, bool)>> {
        let environment = environment_model()?;
        // Versions with one model kept its key unbound to an endpoint; it
        // belongs to the endpoint they saved (where they sent it).
        if let Some(legacy) = self.settings.provider().await? {
            self.adopt_legacy_provider_key(&legacy);
        }
        let saved = self.settings.models().await?;
        let default = match &environment {
            Some(env) => Some(env.name.clone()),
            None => saved.default.clone(),
        };
        let env_name = environment.as_ref().map(|m| m.name.clone());
        let configured: Vec<(SavedModel, bool)> = environment
            .into_iter()
            .map(|m| (m, true))
            .chain(
                saved
                    .models
                    .into_iter()
                    .filter(|m| Some(&m.name) != env_name.as_ref())
                    .map(|m| (m, false)),
            )
            .collect();
        let models = configured
            .iter()
            .map(|(m, _)| {
                let (key, _) = self.provider_key(Some(&m.config));
                NamedModel {
                    provider: providers::build(&m.config, key),
                    name: m.name.clone(),
                }
            })
            .collect();
        self.model.replace(models, default);
        Ok(configured)
    }

    /// The models a chat can be answered by, as the picker shows them.
    pub async fn model_choices(&self) -> Result<Vec<ModelSummary>> {
        self.load_models().await?;
        Ok(self.model.summaries())
    }

    /// Every configured model, as Settings shows them.
    pub async fn configured_models(&self) -> Result<Vec<ConfiguredModel>> {
        let configured = self.load_models().await?;
        let mut summaries = self.model.summaries();
        Ok(configured
            .into_iter()
            .filter_map(|(model, from_environment)| {
                // By name: another process's save may have replaced the
                // catalogue since it was built from `configured`.
                let at = summaries.iter().position(|s| s.name == model.name)?;
                let summary = summaries.swap_remove(at);
                let (key, key_source) = self.provider_key(Some(&model.config));
                Some(ConfiguredModel {
                    summary,
                    config: model.config,
                    key_configured: key.is_some(),
                    key_source,
                    from_environment,
                })
            })
            .collect())
    }

    /// Adds or changes a model (and stores its key in its endpoint's slot
    /// first, so a keyring failure saves nothing). A new name must be free;
    /// renaming moves the model's chats.
    pub async fn save_model(&self, input: ModelInput) -> Result<Vec<ConfiguredModel>> {
        let name = checked_model_name(&input.name)?;
        let environment = environment_model()?;
        if let Some(env) = &environment {
            if env.name == name || input.previous_name.as_deref() == Some(env.name.as_str()) {
                return Err(invalid(format!(
                    "{:?} is set by the environment (AZURE_OPENAI_*); change it there or choose another name",
                    env.name
                )));
            }
            if input.make_default {
                return Err(env_is_default(&env.name));
            }
        }
        crate::settings::check_model_config(&input.config)?;
        self.store_model_key(&input.config, input.api_key.as_deref(), input.clear_key)?;
        self.settings
            .update_models(|saved| {
                let taken = saved.models.iter().any(|m| {
                    m.name == name && input.previous_name.as_deref() != Some(name.as_str())
                });
                if taken {
                    return Err(invalid(format!("another model is already called {name:?}")));
                }
                let mut moved = None;
                match input.previous_name.as_deref() {
                    Some(previous) => {
                        let model = saved
                            .models
                            .iter_mut()
                            .find(|m| m.name == previous)
                            .ok_or_else(|| Error::not_found("model", previous))?;
                        model.name.clone_from(&name);
                        model.config = input.config.clone();
                        if previous != name {
                            moved = Some((previous.to_string(), Some(name.clone())));
                            if saved.default.as_deref() == Some(previous) {
                                saved.default = Some(name.clone());
                            }
                        }
                    }
                    None => saved.models.push(SavedModel {
                        name: name.clone(),
                        config: input.config.clone(),
                    }),
                }
                if input.make_default {
                    saved.default = Some(name.clone());
                }
                Ok(moved)
            })
            .await?;
        self.configured_models().await
    }

    /// Removes a saved model; its chats are answered by the default model
    /// from then on. The key stays in its endpoint's slot (another model
    /// may use the same endpoint).
    pub async fn delete_model(&self, name: &str) -> Result<Vec<ConfiguredModel>> {
        self.settings
            .update_models(|saved| {
                let before = saved.models.len();
                saved.models.retain(|m| m.name != name);
                if saved.models.len() == before {
                    return Err(Error::not_found("model", name));
                }
                if saved.default.as_deref() == Some(name) {
                    saved.default = None;
                }
                Ok(Some((name.to_string(), None)))
            })
            .await?;
        self.configured_models().await
    }

    /// Makes a saved model the default (chats that name no model, new chats,
    /// and project generation). Refused while the environment sets the
    /// default.
    pub async fn set_default_model(&self, name: &str) -> Result<Vec<ConfiguredModel>> {
        if let Some(env) = environment_model()? {
            return Err(env_is_default(&env.name));
        }
        self.settings
            .update_models(|saved| {
                if !saved.models.iter().any(|m| m.name == name) {
                    return Err(Error::not_found("model", name));
                }
                saved.default = Some(name.to_string());
                Ok(None)
            })
            .await?;
        self.configured_models().await
    }

    /// Refuses settings that name a model not configured on this computer
    /// (`model_not_found`), before a chat is set to it. A chat keeping the
    /// model it has (`current`) is not asked again: its prompt or effort
    /// can change although its model was removed meanwhile.
    pub async fn check_session_model(
        &self,
        current: Option<&str>,
        settings: &SessionSettings,
    ) -> Result<()> {
        match settings.model.as_deref() {
            Some(name) if Some(name) != current => {
                self.load_models().await?;
                self.model.check_name(name)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Stores (or removes) the key of `config`'s endpoint.
    pub(crate) fn store_model_key(
        &self,
        config: &ProviderConfig,
        api_key: Option<&str>,
        clear_key: bool,
    ) -> Result<()> {
        // The key belongs to this endpoint only; another host has its own.
        let slot = SecretName::provider_key(config)?;
        if clear_key {
            self.secrets.delete(slot.clone())?;
        }
        if let Some(key) = api_key.map(str::trim) {
            if !key.is_empty() {
                self.secrets.set(slot, &Secret::new(key))?;
            }
        }
        Ok(())
    }
}

fn env_is_default(name: &str) -> Error {
    ValidationError::Invalid {
        field: "default",
        reason: format!(
            "{name:?} (AZURE_OPENAI_*) is the default while those variables are set; unset them to choose another"
        ),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{AzureConfig, ModelFamily, OpenAiCompatConfig};

    #[test]
    fn a_model_is_named_by_its_deployment_until_named() {
        let azure = ProviderConfig::Azure(AzureConfig {
            endpoint: "https://r.openai.azure.com".into(),
            deployment: " o3-mini ".into(),
            api_version: None,
            family: ModelFamily::OSeries,
            streams: true,
            reasoning_effort: None,
            max_completion_tokens: None,
            vision: false,
        });
        assert_eq!(name_of(&azure), "o3-mini");
        let long = ProviderConfig::OpenAiCompatible(OpenAiCompatConfig {
            base_url: "http://127.0.0.1:11434/v1".into(),
            model: "m".repeat(MAX_MODEL_NAME_CHARS * 2),
            streams: true,
            vision: false,
        });
        assert_eq!(name_of(&long).chars().count(), MAX_MODEL_NAME_CHARS);
    }
}
