//! What the model is sent for a reply: the developer prompt (the chat's own
//! or the app's, with the user's projects and tasks when context is on), the
//! last messages of the conversation, and the new message; with the chat's
//! reasoning effort.

use super::{Role, SessionSettings};
use crate::providers::{ChatRequest, PromptMessage, PromptRole};

/// How many earlier messages go with each new one.
pub const HISTORY_MESSAGES: i64 = 10;

/// Turns Markdown back on for o1 and o3-mini, which avoid it by default
/// (Azure's reasoning-model docs): the first words of every developer
/// message, the app's or a chat's own.
pub const FORMATTING_ON: &str = "Formatting re-enabled.";

/// The app's instructions (they start with [`FORMATTING_ON`]).
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
    settings: &SessionSettings,
) -> ChatRequest {
    history.reverse();
    let instructions = match settings.system_prompt.as_deref() {
        None => DEVELOPER_PROMPT.to_string(),
        Some(own) if own.starts_with(FORMATTING_ON) => own.to_string(),
        Some(own) => format!("{FORMATTING_ON} {own}"),
    };
    let developer = match context {
        Some(block) => format!("{instructions}\n\n{block}"),
        None => instructions.to_string(),
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
        reasoning_effort: settings.reasoning_effort,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ReasoningEffort;

    fn instructions(request: &ChatRequest) -> &str {
        assert_eq!(request.messages[0].role, PromptRole::Developer);
        &request.messages[0].content
    }

    #[test]
    fn without_settings_the_apps_prompt_and_no_effort_go() {
        let request = build_request(vec![], "hi", None, None, &SessionSettings::default());
        assert_eq!(instructions(&request), DEVELOPER_PROMPT);
        assert_eq!(request.reasoning_effort, None);
    }

    #[test]
    fn a_chats_prompt_replaces_the_apps_and_keeps_the_context_and_effort() {
        let settings = SessionSettings {
            system_prompt: Some("You are a pirate.".into()),
            reasoning_effort: Some(ReasoningEffort::Low),
            model: None,
        };
        let history = vec![
            (Role::Assistant, "Ahoy".into()),
            (Role::User, "hello".into()),
        ];
        let request = build_request(history, "hi", Some("Projects: x".into()), None, &settings);
        // A prompt that turns formatting on itself is sent as it is.
        let own = SessionSettings {
            system_prompt: Some(format!("{FORMATTING_ON} Be brief.")),
            reasoning_effort: None,
            model: None,
        };
        let plain = build_request(vec![], "hi", None, None, &own);
        assert_eq!(instructions(&plain), format!("{FORMATTING_ON} Be brief."));
        assert_eq!(
            instructions(&request),
            format!("{FORMATTING_ON} You are a pirate.\n\nProjects: x")
        );
        assert_eq!(request.reasoning_effort, Some(ReasoningEffort::Low));
        let roles: Vec<_> = request.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                PromptRole::Developer,
                PromptRole::User,
                PromptRole::Assistant,
                PromptRole::User
            ]
        );
    }
}
