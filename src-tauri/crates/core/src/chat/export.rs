//! A whole session as a Markdown or JSON document, for the user to keep.

use super::attachments::{Attachment, AttachmentInfo};
use super::branches::Tree;
use super::rows::ChatBackend;
use super::{ChatMessage, ChatSession, ChatStore, MessageStatus, Role};
use crate::error::Result;
use crate::ids::RecordRef;
use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The JSON export's format tag. Version 2 holds the whole tree of
/// messages (see `super::branches`); version 1 held one linear history.
pub const EXPORT_FORMAT: &str = "banter-session/2";

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

/// The JSON export's shape (stable: other tools may read it): every
/// message, each with its `parentId` and whether it is on the active path
/// (the session's `activeLeafId` ends it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonExport<'a> {
    format: &'static str,
    #[serde(flatten)]
    tree: &'a SessionTree,
}

/// A session with every message of its tree, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTree {
    pub session: ChatSession,
    pub messages: Vec<TreeMessage>,
}

/// A message of a [`SessionTree`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeMessage {
    #[serde(flatten)]
    pub message: ChatMessage,
    /// On the active path: part of the conversation as it is shown.
    pub active: bool,
    /// The files sent with the message, bytes in base64 (`data`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl<S: ChatBackend> ChatStore<S> {
    /// `session` as one document: in Markdown its conversation (the active
    /// path, oldest first, noting where other versions exist); in JSON
    /// every message of its tree.
    pub async fn export(&self, session: &RecordRef, format: ExportFormat) -> Result<ExportedFile> {
        let (session, messages) = self.message_tree(session).await?;
        let links: Vec<_> = messages.iter().map(|m| (m.id, m.parent_id)).collect();
        let tree = Tree::new(&links);
        // As the session's pages read it: the newest message when no leaf
        // is recorded or this store does not hold it.
        let leaf = session
            .active_leaf_id
            .filter(|&leaf| tree.contains(leaf))
            .or_else(|| messages.last().map(|m| m.id));
        let path = tree.path_to(leaf);
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let infos = self.attachment_infos(&ids).await?;
        let (content, extension) = match format {
            ExportFormat::Markdown => {
                let by_id: HashMap<i64, &ChatMessage> =
                    messages.iter().map(|m| (m.id, m)).collect();
                let shown: Vec<(&ChatMessage, (usize, usize))> = path
                    .iter()
                    .filter_map(|id| by_id.get(id).copied())
                    .map(|m| {
                        let versions = tree.versions(m.id);
                        let at = versions.iter().position(|&v| v == m.id).unwrap_or(0);
                        (m, (at + 1, versions.len()))
                    })
                    .collect();
                (markdown(&session, &shown, &infos), "md")
            }
            ExportFormat::Json => {
                let mut files: HashMap<i64, Vec<Attachment>> = HashMap::new();
                for info in &infos {
                    if let Entry::Vacant(slot) = files.entry(info.message_id) {
                        slot.insert(self.attachments_of(info.message_id).await?);
                    }
                }
                let tree = SessionTree {
                    messages: messages
                        .iter()
                        .map(|message| TreeMessage {
                            message: message.clone(),
                            active: path.contains(&message.id),
                            attachments: files.remove(&message.id).unwrap_or_default(),
                        })
                        .collect(),
                    session: session.clone(),
                };
                let doc = JsonExport {
                    format: EXPORT_FORMAT,
                    tree: &tree,
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
}

/// The conversation, each message with its version (`n` of `total`) and
/// the files it carried (named; their contents are in the JSON export).
fn markdown(
    session: &ChatSession,
    messages: &[(&ChatMessage, (usize, usize))],
    attachments: &[AttachmentInfo],
) -> String {
    let title = session.title.as_deref().unwrap_or("Untitled chat");
    let mut out = format!(
        "# {title}\n\n_{} · {} messages · exported from Banter_\n",
        session.display_id,
        messages.len()
    );
    for &(m, (version, versions)) in messages {
        let who = match m.role {
            Role::User => "You",
            Role::Assistant => "Assistant",
            Role::System => "System",
        };
        let mut note = match m.status {
            MessageStatus::Complete => String::new(),
            other => format!(" ({})", status_word(other)),
        };
        if versions > 1 {
            note.push_str(&format!(" (version {version} of {versions})"));
        }
        out.push_str(&format!(
            "\n## {who}{note} — {}\n\n{}\n",
            m.created_at.format("%Y-%m-%d %H:%M UTC"),
            m.content.trim_end()
        ));
        let files: Vec<String> = attachments
            .iter()
            .filter(|a| a.message_id == m.id)
            .map(|a| {
                format!(
                    "- 📎 `{}` ({}, {} bytes)",
                    a.name.replace('`', "'"),
                    a.mime,
                    a.size_bytes
                )
            })
            .collect();
        if !files.is_empty() {
            out.push_str(&format!("\nAttached:\n{}\n", files.join("\n")));
        }
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
