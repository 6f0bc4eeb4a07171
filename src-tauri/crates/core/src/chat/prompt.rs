//! What the model is sent for a reply: the developer prompt (with the
//! user's projects and tasks when context is on), the last messages of the
//! conversation, and the new message.

use super::Role;
use crate::providers::{ChatRequest, PromptMessage, PromptRole};

/// How many earlier messages go with each new one.
pub const HISTORY_MESSAGES: i64 = 10;

/// The app's instructions. "Formatting re-enabled" turns Markdown back on
/// for o-series models, which avoid it by default.
pub const DEVELOPER_PROMPT: &str =
    "Formatting re-enabled. You are Banter, a helpful assistant in a \
desktop chat app. Answer clearly and concisely, and use Markdown for structure and code.";

/// Builds the request for a reply to `new_message`, after `history` (the
/// conversation before it, newest first, as `ChatRows::lock_for_reply`
/// reads it: user and assistant messages with text; failed and withdrawn
/// (filtered) replies are not part of the conversation).
pub(crate) fn build_request(
    mut history: Vec<(Role, String)>,
    new_message: &str,
    context: Option<String>,
    max_completion_tokens: Option<u32>,
) -> ChatRequest {
    history.reverse();
    let developer = match context {
        Some(block) => format!("{DEVELOPER_PROMPT}\n\n{block}"),
        None => DEVELOPER_PROMPT.to_string(),
    };
    let mut messages = vec![PromptMessage {
        role: PromptRole::Developer,
        content: developer,
        images: Vec::new(),
    }];
    messages.extend(history.into_iter().map(|(role, content)| PromptMessage {
        role: if role == Role::User {
            PromptRole::User
        } else {
            PromptRole::Assistant
        },
        content,
        images: Vec::new(),
    }));
    messages.push(PromptMessage {
        role: PromptRole::User,
        content: new_message.to_string(),
        images: Vec::new(),
    });
    ChatRequest {
        messages,
        max_completion_tokens,
        response_format: None,
    }
}
