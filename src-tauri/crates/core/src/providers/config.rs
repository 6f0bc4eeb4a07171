//! Provider settings. Everything here but the key may be stored and shown;
//! the key is a [`Secret`] that never prints, serialises or reaches the UI.

use serde::{Deserialize, Serialize};

/// An API key. `Debug` prints `Secret(***)`; there is no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The key itself, for the one header that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// For reading a secret from a flag or an environment variable.
impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which request shape a deployment takes. Azure deployment names are free
/// text, so the user says which family a deployment runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ModelFamily {
    /// o1, o3-mini, o3, o4-mini…: `developer` role, `max_completion_tokens`,
    /// `reasoning_effort`, no `temperature`.
    #[default]
    OSeries,
    /// gpt-4o, gpt-4.1…: `system` role.
    Gpt,
}

/// How long an o-series model thinks before it answers (`reasoning_effort`).
/// Stored as text on a session that asks for its own (see `chat::settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ReasoningEffort {
    Low,
    Medium,
    High,
}

impl ReasoningEffort {
    /// Every effort, in increasing order.
    pub const ALL: [Self; 3] = [Self::Low, Self::Medium, Self::High];

    /// The wire and storage name: `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// Parses `low`, `medium` or `high` (a flag, a setting).
impl std::str::FromStr for ReasoningEffort {
    type Err = super::ProviderError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
            .ok_or_else(|| {
                super::ProviderError::NotConfigured(format!(
                    "reasoning effort {s:?} is not valid; use low, medium or high"
                ))
            })
    }
}

/// An Azure OpenAI deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AzureConfig {
    /// `https://{resource}.openai.azure.com` (a trailing `/` is fine).
    pub endpoint: String,
    pub deployment: String,
    /// `Some` uses the classic `/openai/deployments/{d}/chat/completions
    /// ?api-version=…` form; `None` the v1 form `/openai/v1/chat/completions`.
    pub api_version: Option<String>,
    pub family: ModelFamily,
    /// Whether this deployment streams (o1 does not).
    pub streams: bool,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub max_completion_tokens: Option<u32>,
    /// Whether the deployment takes images (gpt-4o, gpt-4.1, o3, o4-mini…);
    /// images are refused before sending to one that does not.
    #[serde(default)]
    pub vision: bool,
}

/// An OpenAI-compatible server (Ollama, llama.cpp server, LM Studio).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OpenAiCompatConfig {
    /// e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    pub streams: bool,
    /// Whether the model takes images (e.g. llava, gemma3 on Ollama).
    #[serde(default)]
    pub vision: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProviderConfig {
    Azure(AzureConfig),
    OpenAiCompatible(OpenAiCompatConfig),
}

/// Environment variables for the Azure provider.
pub const ENV_ENDPOINT: &str = "AZURE_OPENAI_ENDPOINT";
pub const ENV_KEY: &str = "AZURE_OPENAI_KEY";
pub const ENV_DEPLOYMENT: &str = "AZURE_OPENAI_DEPLOYMENT";
pub const ENV_API_VERSION: &str = "AZURE_OPENAI_API_VERSION";
/// `o-series` (default) or `gpt`: which request shape the deployment takes.
pub const ENV_FAMILY: &str = "BANTER_AZURE_MODEL_FAMILY";
/// `false` for deployments that do not stream (o1).
pub const ENV_STREAM: &str = "BANTER_AZURE_STREAM";
/// `true` for deployments that take images (see [`AzureConfig::vision`]).
pub const ENV_VISION: &str = "BANTER_AZURE_VISION";

impl AzureConfig {
    /// The deployment named by `AZURE_OPENAI_ENDPOINT` and
    /// `AZURE_OPENAI_DEPLOYMENT` (both required); `None` when either is
    /// unset. A malformed optional setting is an error, never a silent default.
    pub fn from_env() -> Result<Option<Self>, super::ProviderError> {
        let var = |k| {
            std::env::var(k)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (Some(endpoint), Some(deployment)) = (var(ENV_ENDPOINT), var(ENV_DEPLOYMENT)) else {
            return Ok(None);
        };
        let bad = |name: &str, value: &str, expected: &str| {
            super::ProviderError::NotConfigured(format!(
                "{name}={value:?} is not valid; use {expected}"
            ))
        };
        let family = match var(ENV_FAMILY).as_deref() {
            None | Some("o-series") | Some("o_series") => ModelFamily::OSeries,
            Some("gpt") => ModelFamily::Gpt,
            Some(other) => return Err(bad(ENV_FAMILY, other, "o-series or gpt")),
        };
        let streams = match var(ENV_STREAM).as_deref() {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => return Err(bad(ENV_STREAM, other, "true or false")),
        };
        let vision = match var(ENV_VISION).as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => return Err(bad(ENV_VISION, other, "true or false")),
        };
        Ok(Some(Self {
            endpoint,
            deployment,
            api_version: var(ENV_API_VERSION),
            family,
            streams,
            reasoning_effort: None,
            max_completion_tokens: None,
            vision,
        }))
    }
}

/// The Azure key from `AZURE_OPENAI_KEY`, if set.
pub fn azure_key_from_env() -> Option<Secret> {
    std::env::var(ENV_KEY)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|k| Secret::new(k.trim()))
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn secrets_do_not_print() {
        let key = Secret::new("am_sk_very_secret");
        assert_eq!(format!("{key:?}"), "Secret(***)");
        assert_eq!(key.expose(), "am_sk_very_secret");
    }
}
