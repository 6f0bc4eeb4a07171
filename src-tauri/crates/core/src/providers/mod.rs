//! Chat model providers behind one trait: Azure OpenAI (primary) and any
//! OpenAI-compatible server (Ollama, llama.cpp, LM Studio).
//!
//! A provider turns a [`ChatRequest`] into a stream of [`ProviderEvent`]s.
//! Retries happen only while opening the stream (before any text exists);
//! once events flow, a failure ends the stream with an error and the chat
//! layer decides what the user is charged. A deployment that does not stream
//! yields its whole reply as one `Delta`, through the same events.

mod azure;
pub mod catalog;
pub mod config;
mod endpoint;
mod error;
mod http;
mod openai_compat;
mod refusing;
mod retry;
mod sse;
mod wire;

pub use catalog::{ModelCatalog, ModelSummary, NamedModel};
pub use config::{
    azure_key_from_env, AzureConfig, ModelFamily, OpenAiCompatConfig, ProviderConfig,
    ReasoningEffort, Secret,
};
pub use error::ProviderError;
pub use http::Timeouts;
pub use refusing::Refusing;

use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Who said a prompt message. `Developer` is the app's instructions: sent as
/// `developer` to o-series deployments and as `system` elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptRole {
    Developer,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptMessage {
    pub role: PromptRole,
    pub content: String,
    /// Images shown with a user message, as `data:` URLs: the message is
    /// then sent as content parts (its text, then one `image_url` each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

/// What is sent to the model for one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    pub messages: Vec<PromptMessage>,
    /// Cap on the reply, reasoning included (`max_completion_tokens`).
    pub max_completion_tokens: Option<u32>,
    /// Structured output; `None` (chat) sends no `response_format` at all.
    pub response_format: Option<ResponseFormat>,
    /// The effort this request asks for (a chat's own setting); `None`
    /// keeps the deployment's. Only reasoning deployments are sent one.
    pub reasoning_effort: Option<ReasoningEffort>,
}

/// Asks the model for output of a fixed shape (OpenAI structured outputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `{"type":"json_schema","json_schema":{"name","strict","schema"}}`:
    /// with `strict`, the deployment guarantees output matching `schema`.
    JsonSchema {
        name: String,
        strict: bool,
        schema: serde_json::Value,
    },
}

impl ResponseFormat {
    /// The request body's `response_format` value.
    pub fn to_wire(&self) -> serde_json::Value {
        match self {
            Self::JsonSchema {
                name,
                strict,
                schema,
            } => serde_json::json!({
                "type": "json_schema",
                "json_schema": {"name": name, "strict": strict, "schema": schema}
            }),
        }
    }
}

/// Token counts as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub prompt_tokens: i64,
    /// Includes reasoning tokens, as the provider bills them.
    pub completion_tokens: i64,
    pub reasoning_tokens: i64,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    /// Hit `max_completion_tokens`.
    Length,
    /// The content filter ended (or withdrew) the reply.
    ContentFilter,
    Other(String),
}

/// One thing that happened on the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    /// Reply text, in order; never empty.
    Delta(String),
    Usage(TokenUsage),
    Finished(FinishReason),
}

/// The events of one reply. Ends after `Finished` (and a trailing `Usage`,
/// if the provider sends one), or with an error if the stream breaks.
pub type EventStream = BoxStream<'static, Result<ProviderEvent, ProviderError>>;

/// A boxed future, so providers can live behind `dyn ChatProvider`.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A chat model endpoint.
pub trait ChatProvider: Send + Sync + std::fmt::Debug {
    /// Opens a reply stream, retrying throttling and transient failures
    /// (honouring `retry-after-ms`, then `Retry-After`) before it returns.
    fn stream_chat(
        &self,
        request: ChatRequest,
    ) -> ProviderFuture<'_, Result<EventStream, ProviderError>>;

    /// A label for the UI and logs (e.g. "Azure OpenAI · o3-mini"); no secrets.
    fn label(&self) -> String;

    /// The label model lists show (the server's `GET /v1/models`): the kind
    /// and the model, never the endpoint's address.
    fn public_label(&self) -> String {
        self.label()
    }

    /// The deployment or model name a reply is stored with ("o3-mini");
    /// no secrets.
    fn model_name(&self) -> String {
        self.label()
    }

    /// The reasoning effort `request` is sent with, if any: what a reply
    /// records it was asked with.
    fn effort_for(&self, _request: &ChatRequest) -> Option<ReasoningEffort> {
        None
    }

    /// Whether requests may carry a JSON-schema `response_format`. Callers
    /// that ask for structured output fall back to instructions otherwise
    /// (and when the deployment refuses the field anyway).
    fn supports_json_schema(&self) -> bool {
        false
    }

    /// Whether requests may carry images (the model config's `vision`).
    fn supports_vision(&self) -> bool {
        false
    }

    /// Whether the model reasons (o-series), so a chat's reasoning effort
    /// is sent to it.
    fn reasons(&self) -> bool {
        false
    }

    /// Whether replies stream in; `false` (o1) sends each reply whole.
    fn streams(&self) -> bool {
        true
    }
}

/// The provider for `config`. Azure needs a key; an OpenAI-compatible local
/// server may not.
pub fn build(
    config: &ProviderConfig,
    key: Option<Secret>,
) -> Result<Arc<dyn ChatProvider>, ProviderError> {
    build_with(config, key, Timeouts::default())
}

/// [`build`] with other timeouts (tests shrink them).
pub fn build_with(
    config: &ProviderConfig,
    key: Option<Secret>,
    timeouts: Timeouts,
) -> Result<Arc<dyn ChatProvider>, ProviderError> {
    check_endpoint(config)?;
    let endpoint = match config {
        ProviderConfig::Azure(azure) => {
            let key = key.ok_or_else(|| {
                ProviderError::NotConfigured(format!(
                    "no key for Azure OpenAI; set {}",
                    config::ENV_KEY
                ))
            })?;
            azure::endpoint(azure, key)
        }
        ProviderConfig::OpenAiCompatible(compat) => openai_compat::endpoint(compat, key),
    };
    Ok(Arc::new(endpoint::CompletionsProvider::new(
        endpoint, timeouts,
    )?))
}

/// The endpoint URL of `config`: the Azure resource or the compatible
/// server's base URL, as the user wrote it.
pub fn endpoint_url(config: &ProviderConfig) -> &str {
    match config {
        ProviderConfig::Azure(azure) => &azure.endpoint,
        ProviderConfig::OpenAiCompatible(compat) => &compat.base_url,
    }
}

/// Refuses an endpoint the key would travel to in the clear (plain http to
/// a host that is not loopback), before anything connects. Returns the
/// endpoint's origin, which a stored key is bound to.
pub fn check_endpoint(config: &ProviderConfig) -> Result<String, ProviderError> {
    use crate::transport::EndpointUrlError;
    let url =
        crate::transport::check_endpoint(endpoint_url(config)).map_err(|error| match error {
            EndpointUrlError::PlainHttp(_) => ProviderError::InsecureEndpoint(error.to_string()),
            EndpointUrlError::Unparsable(_) | EndpointUrlError::Scheme(_) => {
                ProviderError::NotConfigured(error.to_string())
            }
        })?;
    Ok(crate::transport::origin_of(&url))
}
