//! The chat models a user can choose from, by name, and which one is the
//! default. One handle is shared by chat replies and project generation, so
//! a change in Settings reaches both at once. A chat that names a model
//! (its [`crate::chat::SessionSettings::model`]) is answered by that one;
//! everything else by the default.
//!
//! A configured model that cannot be used yet (no key, say) stays listed
//! with the reason, so a chat that names it is told why instead of being
//! answered by another model without a word.

use super::{ChatProvider, ProviderError};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, PoisonError, RwLock};

/// The longest model name, in characters.
pub const MAX_MODEL_NAME_CHARS: usize = 64;

/// One model as a picker shows it: no endpoint, no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    /// The name chats remember it by ("o3-mini", "Local llama").
    pub name: String,
    /// Provider kind and model, e.g. "Azure OpenAI · o3-mini" (never the
    /// endpoint's address); `None` for a model that cannot be built.
    pub label: Option<String>,
    pub is_default: bool,
    /// Whether reasoning effort applies (o-series): the effort control is
    /// offered only then.
    pub reasons: bool,
    /// Whether image attachments may be sent to it.
    pub vision: bool,
    /// Whether replies stream in (an o1 deployment answers whole).
    pub streams: bool,
    /// Why it cannot answer now (no key, a refused endpoint); `None` when
    /// it can.
    pub problem: Option<String>,
}

/// A model for [`ModelCatalog::replace`]: its name and the provider built
/// from its configuration, or why none could be.
#[derive(Debug, Clone)]
pub struct NamedModel {
    pub name: String,
    pub provider: Result<Arc<dyn ChatProvider>, ProviderError>,
}

#[derive(Debug, Default)]
struct Catalog {
    models: Vec<NamedModel>,
    /// Always a name in `models` when `models` is not empty.
    default: Option<String>,
}

/// The models in use. Cheap to clone; clones share the catalogue.
#[derive(Debug, Clone, Default)]
pub struct ModelCatalog(Arc<RwLock<Catalog>>);

impl ModelCatalog {
    /// A catalogue of `provider` alone (or none), named by its deployment or
    /// model: what a single configured model (the environment, the server's
    /// one model, tests) amounts to.
    pub fn set(&self, provider: Option<Arc<dyn ChatProvider>>) {
        let models = provider
            .map(|p| NamedModel {
                name: p.model_name(),
                provider: Ok(p),
            })
            .into_iter()
            .collect();
        self.replace(models, None);
    }

    /// Replaces every model. `default` names the default; when it names none
    /// of them (or is `None`) the first model is the default.
    pub fn replace(&self, models: Vec<NamedModel>, default: Option<String>) {
        let default = default
            .filter(|d| models.iter().any(|m| &m.name == d))
            .or_else(|| models.first().map(|m| m.name.clone()));
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Catalog { models, default };
    }

    /// The default model's name, if any model is configured.
    pub fn default_name(&self) -> Option<String> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .default
            .clone()
    }

    /// The default model's label, if it can answer.
    pub fn label(&self) -> Option<String> {
        self.require().ok().map(|p| p.label())
    }

    /// The default model, or a `provider_not_configured` error saying how
    /// to choose one.
    pub fn require(&self) -> Result<Arc<dyn ChatProvider>, ProviderError> {
        self.require_named(None)
    }

    /// The model called `name`, or the default for `None`. A name that is
    /// not configured is `model_not_found` (`provider_not_configured` when
    /// no model is); a model that cannot answer says why.
    pub fn require_named(
        &self,
        name: Option<&str>,
    ) -> Result<Arc<dyn ChatProvider>, ProviderError> {
        let catalog = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let wanted = match name {
            // Nothing to choose from: say how to configure a model.
            Some(_) if catalog.models.is_empty() => None,
            Some(name) => Some(name),
            None => catalog.default.as_deref(),
        };
        let Some(wanted) = wanted else {
            return Err(ProviderError::NotConfigured(
                "set an Azure OpenAI deployment in Settings or the environment".into(),
            ));
        };
        let model = catalog
            .models
            .iter()
            .find(|m| m.name == wanted)
            .ok_or_else(|| ProviderError::UnknownModel {
                name: wanted.to_string(),
            })?;
        model.provider.clone()
    }

    /// Refuses a model name that is not configured (a chat about to be set
    /// to it): `model_not_found`.
    pub fn check_name(&self, name: &str) -> Result<(), ProviderError> {
        let catalog = self.0.read().unwrap_or_else(PoisonError::into_inner);
        if catalog.models.iter().any(|m| m.name == name) {
            Ok(())
        } else {
            Err(ProviderError::UnknownModel {
                name: name.to_string(),
            })
        }
    }

    /// Every model, in the configured order.
    pub fn summaries(&self) -> Vec<ModelSummary> {
        let catalog = self.0.read().unwrap_or_else(PoisonError::into_inner);
        catalog
            .models
            .iter()
            .map(|m| {
                let is_default = catalog.default.as_deref() == Some(m.name.as_str());
                match &m.provider {
                    Ok(p) => ModelSummary {
                        name: m.name.clone(),
                        label: Some(p.public_label()),
                        is_default,
                        reasons: p.reasons(),
                        vision: p.supports_vision(),
                        streams: p.streams(),
                        problem: None,
                    },
                    Err(error) => ModelSummary {
                        name: m.name.clone(),
                        label: None,
                        is_default,
                        reasons: false,
                        vision: false,
                        streams: true,
                        problem: Some(error.to_string()),
                    },
                }
            })
            .collect()
    }
}

/// A model name as stored: trimmed, not blank, at most
/// [`MAX_MODEL_NAME_CHARS`], no control characters.
pub fn checked_model_name(name: &str) -> Result<String, crate::validate::ValidationError> {
    let name = crate::validate::required_text("model name", name, MAX_MODEL_NAME_CHARS)?;
    if name.chars().any(char::is_control) {
        return Err(crate::validate::ValidationError::Invalid {
            field: "model name",
            reason: "use letters, digits, spaces and punctuation only".into(),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{ChatRequest, EventStream, ProviderFuture};

    #[derive(Debug)]
    struct Named(&'static str);

    impl ChatProvider for Named {
        fn stream_chat(
            &self,
            _request: ChatRequest,
        ) -> ProviderFuture<'_, Result<EventStream, ProviderError>> {
            Box::pin(async { Err(ProviderError::Network("not in this test".into())) })
        }
        fn label(&self) -> String {
            format!("Test · {}", self.0)
        }
        fn model_name(&self) -> String {
            self.0.to_string()
        }
    }

    fn model(name: &'static str) -> NamedModel {
        NamedModel {
            name: name.to_string(),
            provider: Ok(Arc::new(Named(name))),
        }
    }

    #[test]
    fn a_named_model_answers_its_chats_and_the_default_the_rest() {
        let catalog = ModelCatalog::default();
        assert_eq!(
            catalog.require().unwrap_err().code(),
            crate::ErrorCode::ProviderNotConfigured
        );
        catalog.replace(
            vec![
                model("o3-mini"),
                model("gpt-4o"),
                NamedModel {
                    name: "keyless".into(),
                    provider: Err(ProviderError::NotConfigured("no key".into())),
                },
            ],
            Some("gpt-4o".into()),
        );
        assert_eq!(catalog.require().unwrap().model_name(), "gpt-4o");
        assert_eq!(
            catalog.require_named(Some("o3-mini")).unwrap().model_name(),
            "o3-mini"
        );
        assert_eq!(
            catalog.require_named(Some("gone")).unwrap_err().code(),
            crate::ErrorCode::ModelNotFound
        );
        assert_eq!(
            catalog.require_named(Some("keyless")).unwrap_err(),
            ProviderError::NotConfigured("no key".into())
        );
        assert!(catalog.check_name("keyless").is_ok());
        assert!(catalog.check_name("gone").is_err());
        let summaries = catalog.summaries();
        assert_eq!(
            summaries
                .iter()
                .map(|s| (s.name.as_str(), s.is_default, s.problem.is_some()))
                .collect::<Vec<_>>(),
            [
                ("o3-mini", false, false),
                ("gpt-4o", true, false),
                ("keyless", false, true)
            ]
        );
    }

    #[test]
    fn a_default_that_names_no_model_falls_to_the_first() {
        let catalog = ModelCatalog::default();
        catalog.replace(vec![model("a"), model("b")], Some("removed".into()));
        assert_eq!(catalog.require().unwrap().model_name(), "a");
        catalog.set(None);
        assert!(catalog.summaries().is_empty());
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(checked_model_name("  Local llama ").unwrap(), "Local llama");
        assert!(checked_model_name("  ").is_err());
        assert!(checked_model_name("a\tb").is_err());
        assert!(checked_model_name(&"x".repeat(MAX_MODEL_NAME_CHARS + 1)).is_err());
    }
}
