//! What the model is sent for a reply: the developer prompt (the chat's own
//! or the app's, with the user's projects and tasks when context is on), the
//! last messages of the conversation with the files they were sent with,
//! and the new message; with the chat's reasoning effort.

use super::attachments::{carry_earlier, Attachment, Carried};
use super::rows::HistoryMessage;
use super::{Role, SessionSettings};
use crate::providers::{ChatRequest, PromptMessage, PromptRole};
use std::collections::HashMap;

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

/// The messages of `history` that carry files (the user's, as the history
/// read says: [`HistoryMessage::has_files`]): the ids their files are read
/// by, all at once (`ChatStore::attachments_of_messages`, which reads
/// nothing when there are none — nearly every turn).
pub(crate) fn file_carriers(history: &[HistoryMessage]) -> Vec<i64> {
    history
        .iter()
        .filter(|m| m.role == Role::User && m.has_files)
        .map(|m| m.id)
        .collect()
}

/// `history` (the conversation before the new message, newest first, as
/// `ChatRows::lock_for_reply` reads it: user and assistant messages with
/// text; failed and withdrawn (filtered) replies are not part of the
/// conversation) as the model is shown it, oldest first. Each user message
/// carries its files (`files`, each with its message's id, by message then
/// position) as its own send did: text files as named blocks after its
/// text, images as image parts, within the earlier files' budget and only
/// to a model that can see (`vision`); see [`carry_earlier`].
pub(crate) fn with_files(
    history: Vec<HistoryMessage>,
    files: Vec<(i64, Attachment)>,
    vision: bool,
) -> Vec<PromptMessage> {
    let mut carried: HashMap<i64, Vec<Carried>> = HashMap::new();
    for (message_id, shown) in carry_earlier(files, vision) {
        carried.entry(message_id).or_default().push(shown);
    }
    history
        .into_iter()
        .rev()
        .map(|message| {
            let mut content = message.content;
            let mut images = Vec::new();
            for shown in carried.remove(&message.id).unwrap_or_default() {
                match shown {
                    Carried::Block(text) | Carried::Note(text) => {
                        content.push_str("\n\n");
                        content.push_str(&text);
                    }
                    Carried::Image(url) => images.push(url),
                }
            }
            PromptMessage {
                role: if message.role == Role::User {
                    PromptRole::User
                } else {
                    PromptRole::Assistant
                },
                content,
                images,
            }
        })
        .collect()
}

/// Builds the request for a reply to `new_message`, after `history` (the
/// conversation before it, oldest first, as [`with_files`] shows it).
pub(crate) fn build_request(
    history: Vec<PromptMessage>,
    new_message: &str,
    context: Option<String>,
    max_completion_tokens: Option<u32>,
    settings: &SessionSettings,
) -> ChatRequest {
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
    messages.extend(history);
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

    fn message(id: i64, role: Role, content: &str) -> HistoryMessage {
        HistoryMessage {
            id,
            role,
            content: content.into(),
            has_files: false,
        }
    }

    /// A user message sent with files.
    fn with_attachments(id: i64, content: &str) -> HistoryMessage {
        HistoryMessage {
            has_files: true,
            ..message(id, Role::User, content)
        }
    }

    #[test]
    fn only_user_messages_with_files_are_read_for_files() {
        // A conversation without files: nothing to read.
        let plain = vec![
            message(4, Role::Assistant, "It is blue."),
            message(3, Role::User, "and now?"),
            message(2, Role::Assistant, "Hello."),
            message(1, Role::User, "hi"),
        ];
        assert!(file_carriers(&plain).is_empty());
        assert!(file_carriers(&[]).is_empty());
        // Only the messages that have files, newest first as read.
        let mixed = vec![
            message(6, Role::Assistant, "Noted."),
            with_attachments(5, "one more"),
            message(4, Role::Assistant, "It is blue."),
            message(3, Role::User, "and now?"),
            message(2, Role::Assistant, "A pixel."),
            with_attachments(1, "what is this?"),
        ];
        assert_eq!(file_carriers(&mixed), [5, 1]);
        // An assistant's message never carries files, whatever it says.
        let odd = vec![HistoryMessage {
            has_files: true,
            ..message(2, Role::Assistant, "A pixel.")
        }];
        assert!(file_carriers(&odd).is_empty());
    }

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
        let history = with_files(
            vec![
                message(2, Role::Assistant, "Ahoy"),
                message(1, Role::User, "hello"),
            ],
            Vec::new(),
            false,
        );
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

    #[test]
    fn earlier_user_messages_carry_their_files_as_they_were_sent() {
        let png =
            Attachment::new("pixel.png", crate::chat::attachments::tests::PNG.to_vec()).unwrap();
        let note = Attachment::new("note.md", b"# blue".to_vec()).unwrap();
        // Newest first, as the history is read; files by message, oldest first.
        let history = vec![
            message(4, Role::Assistant, "It is blue."),
            message(3, Role::User, "and now?"),
            message(2, Role::Assistant, "A pixel."),
            with_attachments(1, "what is this?"),
        ];
        let files = vec![(1, png.clone()), (1, note.clone())];
        let seen = with_files(history.clone(), files.clone(), true);
        let contents: Vec<_> = seen.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(
            contents,
            [
                "what is this?\n\nAttached file `note.md`:\n````\n# blue\n````",
                "A pixel.",
                "and now?",
                "It is blue."
            ]
        );
        // The same text as the message's own send made of it.
        assert_eq!(
            seen[0].content,
            crate::chat::attachments::prompt_text("what is this?", &[png.clone(), note])
        );
        assert_eq!(seen[0].images, [png.data_url()]);
        assert!(seen[1..].iter().all(|m| m.images.is_empty()));
        assert_eq!(
            seen.iter().map(|m| m.role).collect::<Vec<_>>(),
            [
                PromptRole::User,
                PromptRole::Assistant,
                PromptRole::User,
                PromptRole::Assistant
            ]
        );
        assert_eq!(file_carriers(&history), [1]);

        // A model that cannot see gets a note in the image's place.
        let blind = with_files(history, files, false);
        assert!(blind[0].images.is_empty());
        assert_eq!(
            blind[0].content,
            "what is this?\n\n[image pixel.png not shown: this model cannot see images]\n\n\
             Attached file `note.md`:\n````\n# blue\n````"
        );
    }
}
