//! The model in use: one handle shared by chat replies and project
//! generation, so choosing a model in Settings switches both at once.

use super::{ChatProvider, ProviderError};
use std::sync::{Arc, PoisonError, RwLock};

/// The chosen model, or none yet. Cheap to clone; clones share the choice.
#[derive(Debug, Clone, Default)]
pub struct ActiveModel(Arc<RwLock<Option<Arc<dyn ChatProvider>>>>);

impl ActiveModel {
    /// Sets (or clears) the model.
    pub fn set(&self, provider: Option<Arc<dyn ChatProvider>>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = provider;
    }

    /// The model's label (endpoint and deployment), if one is set.
    pub fn label(&self) -> Option<String> {
        self.current().map(|p| p.label())
    }

    /// The model, or a `not_configured` error saying how to choose one.
    pub fn require(&self) -> Result<Arc<dyn ChatProvider>, ProviderError> {
        self.current().ok_or_else(|| {
            ProviderError::NotConfigured(
                "set an Azure OpenAI deployment in Settings or the environment".into(),
            )
        })
    }

    fn current(&self) -> Option<Arc<dyn ChatProvider>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
