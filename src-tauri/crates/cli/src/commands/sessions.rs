//! `sessions`: chat sessions and their messages. Sending messages needs a
//! model provider and lives in the app; the CLI manages what is stored —
//! this profile's, or (signed in) the account's on the server ([`Store`]).

use super::record;
use crate::args::SessionsCommand;
use crate::error::CliError;
use crate::output::{label, table, when, Output};
use crate::terminal::{cell, text};
use banter_core::chat::{
    ChatSession, ChatStore, ExportFormat, SessionPage, SessionTree, TreeMessage,
};
use banter_core::hosted::HostedHistory;
use banter_core::ids::{IdKind, RecordRef};
use banter_core::Core;
use std::io::{self, Write};

/// What `sessions show` prints: the session and every message of its
/// tree, each with its `parentId` and whether it is `active` (on the
/// branch the session shows); the text form shows the active branch.
type SessionView = SessionTree;

/// Where the sessions are: this profile's database, or the server (read
/// from this computer's copy when it cannot be reached).
enum Store<'a> {
    Local(&'a ChatStore),
    Hosted(&'a HostedHistory),
}

impl Store<'_> {
    /// A session id as the user typed it, for this store (see [`record`]).
    fn id(&self, typed: &str) -> Result<RecordRef, CliError> {
        record(IdKind::ChatSession, typed, matches!(self, Self::Hosted(_)))
    }

    async fn list(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<SessionPage, CliError> {
        Ok(match self {
            Self::Local(chat) => chat.list_sessions(cursor, limit).await?,
            Self::Hosted(server) => server.sessions(cursor, limit).await?,
        })
    }

    async fn create_session(&self, title: Option<&str>) -> Result<ChatSession, CliError> {
        Ok(match self {
            Self::Local(chat) => chat.create_session(title).await?,
            Self::Hosted(server) => server.create_session(title).await?,
        })
    }

    async fn rename_session(&self, id: &RecordRef, title: &str) -> Result<ChatSession, CliError> {
        Ok(match self {
            Self::Local(chat) => chat.rename_session(id, title).await?,
            Self::Hosted(server) => server.rename(id, title).await?,
        })
    }

    async fn delete_session(&self, id: &RecordRef) -> Result<ChatSession, CliError> {
        Ok(match self {
            Self::Local(chat) => chat.delete_session(id).await?,
            Self::Hosted(server) => server.delete(id).await?,
        })
    }

    /// The session's whole tree: both stores export it as JSON (the
    /// server's, or this computer's copy when it cannot be reached).
    async fn tree(&self, id: &RecordRef) -> Result<SessionTree, CliError> {
        let file = match self {
            Self::Local(chat) => chat.export(id, ExportFormat::Json).await?,
            Self::Hosted(server) => server.export(id, ExportFormat::Json).await?,
        };
        serde_json::from_str(&file.content).map_err(|e| {
            CliError::from(banter_core::Error::Invalid(
                banter_core::validate::ValidationError::Invalid {
                    field: "session",
                    reason: format!("its messages could not be read: {e}"),
                },
            ))
        })
    }

    async fn switch_branch(
        &self,
        id: &RecordRef,
        message_id: i64,
    ) -> Result<ChatSession, CliError> {
        Ok(match self {
            Self::Local(chat) => chat.switch_branch(id, message_id).await?,
            Self::Hosted(server) => server.switch_branch(id, message_id).await?,
        })
    }
}

pub async fn run(
    core: &Core,
    hosted: Option<HostedHistory>,
    cmd: SessionsCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    let chat = match &hosted {
        Some(server) => Store::Hosted(server),
        None => Store::Local(core.chat()),
    };
    match cmd {
        SessionsCommand::List { limit, cursor } => {
            let page = chat.list(cursor.as_deref(), limit).await?;
            out.emit(&page, |w| {
                let rows: Vec<Vec<String>> = page
                    .sessions
                    .iter()
                    .map(|s| {
                        vec![
                            s.display_id.clone(),
                            s.message_count.to_string(),
                            when(s.updated_at),
                            title(s),
                        ]
                    })
                    .collect();
                if rows.is_empty() {
                    return writeln!(w, "no sessions yet: banter-cli sessions new");
                }
                table(w, &["ID", "MESSAGES", "UPDATED (UTC)", "TITLE"], &rows)?;
                match &page.next_cursor {
                    Some(c) => writeln!(w, "more: banter-cli sessions list --cursor '{c}'"),
                    None => Ok(()),
                }
            })
        }
        SessionsCommand::New { title: wanted } => {
            let s = chat.create_session(wanted.as_deref()).await?;
            out.emit(&s, |w| {
                writeln!(w, "created {} {}", s.display_id, title(&s))
            })
        }
        SessionsCommand::Show { id } => {
            let id = chat.id(&id)?;
            let view: SessionView = chat.tree(&id).await?;
            out.emit(&view, |w| show(w, &view))
        }
        SessionsCommand::Branch { id, message_id } => {
            let id = chat.id(&id)?;
            let s = chat.switch_branch(&id, message_id).await?;
            out.emit(&s, |w| {
                writeln!(
                    w,
                    "{} now shows the branch through message {message_id} ({} messages)",
                    s.display_id, s.message_count
                )
            })
        }
        SessionsCommand::Rename {
            id,
            title: new_title,
        } => {
            let id = chat.id(&id)?;
            let s = chat.rename_session(&id, &new_title).await?;
            out.emit(&s, |w| {
                writeln!(w, "renamed {} to {}", s.display_id, title(&s))
            })
        }
        SessionsCommand::Delete { id } => {
            let id = chat.id(&id)?;
            let s = chat.delete_session(&id).await?;
            out.emit(&s, |w| {
                writeln!(
                    w,
                    "deleted {} {} ({} messages)",
                    s.display_id,
                    title(&s),
                    s.message_count
                )
            })
        }
    }
}

/// Which version of its message `m` is (1-based) and how many there are:
/// the messages with the same parent, oldest first.
fn version_of(all: &[TreeMessage], m: &TreeMessage) -> (usize, usize) {
    let versions: Vec<i64> = all
        .iter()
        .filter(|other| other.message.parent_id == m.message.parent_id)
        .map(|other| other.message.id)
        .collect();
    let at = versions
        .iter()
        .position(|&v| v == m.message.id)
        .unwrap_or(0);
    (at + 1, versions.len())
}

fn title(s: &ChatSession) -> String {
    s.title
        .as_deref()
        .map_or_else(|| "(untitled)".to_string(), |t| format!("\"{}\"", cell(t)))
}

fn show(w: &mut dyn Write, view: &SessionView) -> io::Result<()> {
    let s = &view.session;
    writeln!(w, "{} {}", s.display_id, title(s))?;
    writeln!(
        w,
        "created {} · updated {} (UTC) · {} messages",
        when(s.created_at),
        when(s.updated_at),
        s.message_count
    )?;
    for shown in view.messages.iter().filter(|m| m.active) {
        let m = &shown.message;
        writeln!(w)?;
        let mut head = format!(
            "[{}] #{} {} · {}",
            when(m.created_at),
            m.id,
            label(&m.role),
            label(&m.status)
        );
        if m.credits_used != 0 {
            head.push_str(&format!(" · {} credits", m.credits_used));
        }
        let (version, versions) = version_of(&view.messages, shown);
        if versions > 1 {
            head.push_str(&format!(
                " · version {version} of {versions} (sessions branch {} ID)",
                s.display_id
            ));
        }
        writeln!(w, "{head}")?;
        for line in text(&m.content).lines() {
            writeln!(w, "  {line}")?;
        }
        if let Some(error) = &m.error {
            writeln!(w, "  error: {}", cell(error))?;
        }
    }
    Ok(())
}
