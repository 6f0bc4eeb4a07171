//! The OpenAI chat-completions wire format as Azure and compatible servers
//! send it. Every response field is optional: Azure's first stream event has
//! empty `choices`, annotation chunks have no `delta`, ids may be `""`.

use super::{FinishReason, ReasoningEffort, TokenUsage};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
pub(super) struct RequestBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    pub messages: Vec<WireMessage<'a>>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub(super) struct WireMessage<'a> {
    pub role: &'static str,
    pub content: WireContent<'a>,
}

/// A message's `content`: plain text, or (with images) an array of parts.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum WireContent<'a> {
    Text(&'a str),
    Parts(Vec<WirePart<'a>>),
}

/// `{"type":"text","text":…}` or `{"type":"image_url","image_url":{"url":…}}`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum WirePart<'a> {
    Text { text: &'a str },
    ImageUrl { image_url: ImageUrl<'a> },
}

#[derive(Debug, Serialize)]
pub(super) struct ImageUrl<'a> {
    /// A `data:image/…;base64,…` URL: the image travels inside the request.
    pub url: &'a str,
}

impl<'a> WireContent<'a> {
    /// Text alone, or the text followed by the images.
    pub fn of(text: &'a str, images: &'a [String]) -> Self {
        if images.is_empty() {
            return Self::Text(text);
        }
        let mut parts = vec![WirePart::Text { text }];
        parts.extend(images.iter().map(|url| WirePart::ImageUrl {
            image_url: ImageUrl { url },
        }));
        Self::Parts(parts)
    }
}

#[derive(Debug, Serialize)]
pub(super) struct StreamOptions {
    pub include_usage: bool,
}

/// One `data:` event of a stream.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Chunk {
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    pub usage: Option<WireUsage>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ChunkChoice {
    pub delta: Option<Delta>,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Delta {
    pub content: Option<String>,
}

/// A whole (non-streamed) reply.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Completion {
    #[serde(default)]
    pub choices: Vec<CompletionChoice>,
    pub usage: Option<WireUsage>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CompletionChoice {
    pub message: Option<Delta>,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireUsage {
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CompletionDetails {
    pub reasoning_tokens: Option<i64>,
}

impl From<WireUsage> for TokenUsage {
    fn from(u: WireUsage) -> Self {
        Self {
            prompt_tokens: u.prompt_tokens.unwrap_or(0),
            completion_tokens: u.completion_tokens.unwrap_or(0),
            reasoning_tokens: u
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
        }
    }
}

/// `{"error": {...}}`; `code` may be a string or a number.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorEnvelope {
    pub error: Option<WireError>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireError {
    pub code: Option<serde_json::Value>,
    pub message: Option<String>,
}

impl WireError {
    pub fn code_str(&self) -> String {
        match &self.code {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    }
}

pub(super) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}
