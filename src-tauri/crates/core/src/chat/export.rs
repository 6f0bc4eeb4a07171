//! A whole session as a Markdown or JSON document, for the user to keep.

use super::rows::ChatBackend;
use super::{ChatMessage, ChatSession, ChatStore, MessageStatus, Role};
use crate::error::Result;
use crate::ids::RecordRef;
use serde::{Deserialize, Serialize};

/// Messages read per page while exporting.
const PAGE: u32 = super::MAX_PAGE;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Markdown,
    Json,
}

/// An exported session: a suggested file name and the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    pub file_name: String,
    pub content: String,
}

/// The JSON export's shape (stable: other tools may read it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonExport<'a> {
    format: &'static str,
    session: &'a ChatSession,
    messages: &'a [ChatMessage],
}

impl<S: ChatBackend> ChatStore<S> {
    /// Every message of `session`, oldest first, as one document.
    pub async fn export(&self, session: &RecordRef, format: ExportFormat) -> Result<ExportedFile> {
        let session = self.get_session(session).await?;
        let messages = self.all_messages(session.id).await?;
        let (content, extension) = match format {
            ExportFormat::Markdown => (markdown(&session, &messages), "md"),
            ExportFormat::Json => {
                let doc = JsonExport {
                    format: "banter-session/1",
                    session: &session,
                    messages: &messages,
                };
                let json = serde_json::to_string_pretty(&doc).map_err(|e| {
                    crate::Error::Invalid(crate::validate::ValidationError::Invalid {
                        field: "session",
                        reason: format!("could not be written as JSON: {e}"),
                    })
                })?;
                (json, "json")
            }
        };
        Ok(ExportedFile {
            file_name: format!("{}.{extension}", file_stem(&session)),
            content,
        })
    }

    async fn all_messages(&self, session_id: i64) -> Result<Vec<ChatMessage>> {
        let mut pages = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .list_messages(&RecordRef::Id(session_id), before, Some(PAGE))
                .await?;
            before = page.older_cursor;
            pages.push(page.messages);
            if before.is_none() {
                break;
            }
        }
        Ok(pages.into_iter().rev().flatten().collect())
    }
}

fn markdown(session: &ChatSession, messages: &[ChatMessage]) -> String {
    let title = session.title.as_deref().unwrap_or("Untitled chat");
    let mut out = format!(
        "# {title}\n\n_{} · {} messages · exported from Banter_\n",
        session.display_id,
        messages.len()
    );
    for m in messages {
        let who = match m.role {
            Role::User => "You",
            Role::Assistant => "Assistant",
            Role::System => "System",
        };
        let note = match m.status {
            MessageStatus::Complete => String::new(),
            other => format!(" ({})", status_word(other)),
        };
        out.push_str(&format!(
            "\n## {who}{note} — {}\n\n{}\n",
            m.created_at.format("%Y-%m-%d %H:%M UTC"),
            m.content.trim_end()
        ));
    }
    out
}

fn status_word(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Complete => "complete",
        MessageStatus::Streaming => "still streaming",
        MessageStatus::Interrupted => "interrupted",
        MessageStatus::Stopped => "stopped",
        MessageStatus::Filtered => "filtered",
        MessageStatus::Error => "error",
    }
}

/// `CH-000012 Trip to Lisbon` → `CH-000012-trip-to-lisbon`: safe on every OS.
fn file_stem(session: &ChatSession) -> String {
    let slug: String = session
        .title
        .as_deref()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug: Vec<&str> = slug.split('-').filter(|s| !s.is_empty()).collect();
    let slug = slug.join("-");
    let slug: String = slug.chars().take(60).collect();
    if slug.is_empty() {
        session.display_id.clone()
    } else {
        format!("{}-{slug}", session.display_id)
    }
}
