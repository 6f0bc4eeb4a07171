//! A chat's own settings, kept on its session: the model that answers it
//! (a name in the [`crate::providers::ModelCatalog`]), the system prompt
//! sent instead of the app's default instructions
//! ([`super::DEVELOPER_PROMPT`]), and the reasoning effort asked of an
//! o-series deployment. Each is optional; `None` keeps the default. On the server they are columns of
//! the session like its title, so a change reaches the account's other
//! devices through the change feed.

use super::rows::{ChatBackend, ChatRows};
use super::{ChatSession, ChatStore};
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::providers::ReasoningEffort;
use crate::validate::{optional_text, ValidationError};
use serde::{Deserialize, Serialize};

/// The longest system prompt a chat keeps, in characters.
pub const MAX_SYSTEM_PROMPT_CHARS: usize = 8_000;

/// What a chat asks of the model beside its messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SessionSettings {
    /// Sent as the instructions (`developer` for o-series, `system`
    /// elsewhere) in place of the app's; `None` sends the app's.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// `None` keeps the deployment's own effort.
    #[serde(default)]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// The configured model's name; `None` is the default model. Whether
    /// it names a configured model is checked by the door that sets it
    /// ([`crate::providers::ModelCatalog::check_name`]): the store cannot
    /// know the models.
    #[serde(default)]
    pub model: Option<String>,
}

impl SessionSettings {
    /// The settings as stored: the prompt trimmed, a blank one is no prompt
    /// (the default), one longer than [`MAX_SYSTEM_PROMPT_CHARS`] refused;
    /// the model's name checked like a configured one's
    /// ([`crate::providers::catalog::checked_model_name`]).
    pub fn checked(self) -> Result<Self, ValidationError> {
        let system_prompt = match self.system_prompt {
            Some(prompt) => Some(optional_text(
                "system prompt",
                &prompt,
                MAX_SYSTEM_PROMPT_CHARS,
            )?)
            .filter(|p| !p.is_empty()),
            None => None,
        };
        let model = self
            .model
            .as_deref()
            .map(crate::providers::catalog::checked_model_name)
            .transpose()?;
        Ok(Self {
            system_prompt,
            reasoning_effort: self.reasoning_effort,
            model,
        })
    }
}

impl ChatSession {
    /// This chat's settings.
    pub fn settings(&self) -> SessionSettings {
        SessionSettings {
            system_prompt: self.system_prompt.clone(),
            reasoning_effort: self.reasoning_effort,
            model: self.model.clone(),
        }
    }
}

impl<S: ChatBackend> ChatStore<S> {
    /// Replaces the settings of `session`; the next send uses them. The
    /// session keeps its place in the list (its `updated_at` is activity).
    pub async fn set_session_settings(
        &self,
        session: &RecordRef,
        settings: SessionSettings,
    ) -> Result<ChatSession> {
        self.replace_session_settings(session, settings, false)
            .await
    }

    /// [`Self::set_session_settings`] for a caller from before named models
    /// (it sends no model): the session keeps its model, in the same
    /// statement, so a model chosen meanwhile on another device is not lost.
    pub async fn set_session_settings_keeping_model(
        &self,
        session: &RecordRef,
        settings: SessionSettings,
    ) -> Result<ChatSession> {
        self.replace_session_settings(session, settings, true).await
    }

    async fn replace_session_settings(
        &self,
        session: &RecordRef,
        settings: SessionSettings,
        keep_model: bool,
    ) -> Result<ChatSession> {
        let settings = settings.checked()?;
        let mut tx = self.db.begin_write().await?;
        let changed = tx
            .set_session_settings(&self.user_id, session, &settings, keep_model)
            .await?;
        S::commit(tx).await?;
        changed.ok_or_else(|| Error::not_found("chat session", session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_prompt_is_the_default_and_a_long_one_is_refused() {
        let blank = SessionSettings {
            system_prompt: Some("  \n ".into()),
            reasoning_effort: Some(ReasoningEffort::High),
            model: None,
        };
        assert_eq!(
            blank.checked().unwrap(),
            SessionSettings {
                system_prompt: None,
                reasoning_effort: Some(ReasoningEffort::High),
                model: None,
            }
        );
        let trimmed = SessionSettings {
            system_prompt: Some("  Be terse. ".into()),
            reasoning_effort: None,
            model: None,
        };
        assert_eq!(
            trimmed.checked().unwrap().system_prompt.as_deref(),
            Some("Be terse.")
        );
        let long = SessionSettings {
            system_prompt: Some("x".repeat(MAX_SYSTEM_PROMPT_CHARS + 1)),
            reasoning_effort: None,
            model: None,
        };
        assert!(matches!(
            long.checked(),
            Err(ValidationError::TooLong { .. })
        ));
    }
}
