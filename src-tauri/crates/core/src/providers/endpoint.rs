//! One provider for every chat-completions endpoint: Azure (both URL forms)
//! and OpenAI-compatible servers differ only in URL, auth header and request
//! shape, which an [`Endpoint`] describes.

use super::http::{Http, Timeouts};
use super::wire::{
    finish_reason, Completion, RequestBody, StreamOptions, WireContent, WireMessage,
};
use super::{
    sse, ChatProvider, ChatRequest, EventStream, PromptRole, ProviderError, ProviderEvent,
    ProviderFuture, ReasoningEffort, Secret, TokenUsage,
};
use futures_util::StreamExt;

/// Which field caps the reply length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LengthCap {
    /// o-series (and current OpenAI): counts reasoning tokens too.
    MaxCompletionTokens,
    /// gpt-4o on Azure and most local servers.
    MaxTokens,
}

/// How one deployment or model is called.
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    pub url: String,
    /// Header name and key.
    pub auth: Option<(&'static str, Secret)>,
    /// The body's `model` (v1 and OpenAI-compatible forms).
    pub model: Option<String>,
    /// `developer` for o-series, `system` elsewhere.
    pub instructions_role: &'static str,
    pub length_cap: LengthCap,
    pub default_cap: Option<u32>,
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Whether the model reasons (o-series): only then is a request's own
    /// [`ChatRequest::reasoning_effort`] sent.
    pub reasons: bool,
    pub streams: bool,
    /// Whether `response_format: json_schema` is accepted (structured outputs).
    pub json_schema: bool,
    /// Whether images may be sent (the config's `vision`).
    pub vision: bool,
    pub label: String,
    /// [`Self::label`] without the endpoint's address (model lists).
    pub public_label: String,
    /// Named in "deployment not found".
    pub deployment: String,
}

#[derive(Debug)]
pub(super) struct CompletionsProvider {
    endpoint: Endpoint,
    http: Http,
}

impl CompletionsProvider {
    pub fn new(endpoint: Endpoint, timeouts: Timeouts) -> Result<Self, ProviderError> {
        Ok(Self {
            endpoint,
            http: Http::new(timeouts)?,
        })
    }

    /// The JSON body for `request`.
    pub fn body(&self, request: &ChatRequest) -> serde_json::Value {
        let e = &self.endpoint;
        let cap = request.max_completion_tokens.or(e.default_cap);
        let body = RequestBody {
            model: e.model.as_deref(),
            messages: request
                .messages
                .iter()
                .map(|m| WireMessage {
                    role: match m.role {
                        PromptRole::Developer => e.instructions_role,
                        PromptRole::User => "user",
                        PromptRole::Assistant => "assistant",
                    },
                    content: WireContent::of(&m.content, &m.images),
                })
                .collect(),
            stream: e.streams,
            stream_options: e.streams.then_some(StreamOptions {
                include_usage: true,
            }),
            max_completion_tokens: cap.filter(|_| e.length_cap == LengthCap::MaxCompletionTokens),
            max_tokens: cap.filter(|_| e.length_cap == LengthCap::MaxTokens),
            reasoning_effort: self.effort(request),
            response_format: request
                .response_format
                .as_ref()
                .filter(|_| e.json_schema)
                .map(super::ResponseFormat::to_wire),
        };
        serde_json::to_value(body).unwrap_or_default()
    }

    /// The effort sent with `request`: the request's own on a reasoning
    /// model, else the deployment's.
    fn effort(&self, request: &ChatRequest) -> Option<ReasoningEffort> {
        let e = &self.endpoint;
        request
            .reasoning_effort
            .filter(|_| e.reasons)
            .or(e.reasoning_effort)
    }

    async fn open(&self, request: ChatRequest) -> Result<EventStream, ProviderError> {
        let e = &self.endpoint;
        let auth = e
            .auth
            .as_ref()
            .map(|(header, key)| (*header, key.expose().to_string()));
        let response = self
            .http
            .post(&e.url, auth, &self.body(&request), &e.deployment)
            .await?;
        if e.streams {
            return Ok(sse::events(
                response.bytes_stream(),
                self.http.timeouts.idle,
            ));
        }
        // A deployment that does not stream: the whole reply as one delta.
        let bytes = tokio::time::timeout(self.http.timeouts.first_byte, response.bytes())
            .await
            .map_err(|_| ProviderError::Timeout {
                phase: "first byte",
            })?
            .map_err(|e| ProviderError::Network(format!("the reply broke off: {e}")))?;
        let completion: Completion = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::BadResponse(format!("unreadable reply: {e}")))?;
        let mut events = Vec::new();
        for choice in completion.choices.into_iter().take(1) {
            if let Some(text) = choice
                .message
                .and_then(|m| m.content)
                .filter(|t| !t.is_empty())
            {
                events.push(Ok(ProviderEvent::Delta(text)));
            }
            let reason = choice
                .finish_reason
                .as_deref()
                .map_or(super::FinishReason::Stop, finish_reason);
            events.push(Ok(ProviderEvent::Finished(reason)));
        }
        if let Some(usage) = completion.usage {
            events.push(Ok(ProviderEvent::Usage(TokenUsage::from(usage))));
        }
        Ok(futures_util::stream::iter(events).boxed())
    }
}

impl ChatProvider for CompletionsProvider {
    fn stream_chat(
        &self,
        request: ChatRequest,
    ) -> ProviderFuture<'_, Result<EventStream, ProviderError>> {
        Box::pin(self.open(request))
    }

    fn label(&self) -> String {
        self.endpoint.label.clone()
    }

    fn public_label(&self) -> String {
        self.endpoint.public_label.clone()
    }

    fn supports_json_schema(&self) -> bool {
        self.endpoint.json_schema
    }

    fn model_name(&self) -> String {
        self.endpoint.deployment.clone()
    }

    fn effort_for(&self, request: &ChatRequest) -> Option<ReasoningEffort> {
        self.effort(request)
    }

    fn supports_vision(&self) -> bool {
        self.endpoint.vision
    }

    fn reasons(&self) -> bool {
        self.endpoint.reasons
    }

    fn streams(&self) -> bool {
        self.endpoint.streams
    }
}
