//! `sessions`: chat sessions and their messages. Sending messages needs a
//! model provider and lives in the app; the CLI manages what is stored —
//! this profile's, or (signed in) the account's on the server ([`Store`]).

use super::record;
use crate::args::SessionsCommand;
use crate::error::CliError;
use crate::output::{label, table, when, Output};
use crate::terminal::{cell, text};
use banter_core::chat::{ChatMessage, ChatSession, ChatStore, MessagePage, SessionPage, MAX_PAGE};
use banter_core::hosted::HostedHistory;
use banter_core::ids::{IdKind, RecordRef};
use banter_core::Core;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct SessionView {
    session: ChatSession,
    messages: Vec<ChatMessage>,
}

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

    async fn get_session(&self, id: &RecordRef) -> Result<ChatSession, CliError> {
        Ok(match self {
            Self::Local(chat) => chat.get_session(id).await?,
            Self::Hosted(server) => server.session(id).await?,
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

    async fn messages(&self, id: &RecordRef, before: Option<i64>) -> Result<MessagePage, CliError> {
        Ok(match self {
            Self::Local(chat) => chat.list_messages(id, before, Some(MAX_PAGE)).await?,
            Self::Hosted(server) => server.messages(id, before, Some(MAX_PAGE)).await?,
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
            let session = chat.get_session(&id).await?;
            let messages = all_messages(&chat, &id).await?;
            let view = SessionView { session, messages };
            out.emit(&view, |w| show(w, &view))
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

/// Every message of the session, oldest first, fetched page by page
/// (newest page first, as the core serves them).
async fn all_messages(chat: &Store<'_>, id: &RecordRef) -> Result<Vec<ChatMessage>, CliError> {
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = chat.messages(id, before).await?;
        pages.push(page.messages);
        match page.older_cursor {
            Some(cursor) => before = Some(cursor),
            None => break,
        }
    }
    Ok(pages.into_iter().rev().flatten().collect())
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
    for m in &view.messages {
        writeln!(w)?;
        let mut head = format!(
            "[{}] {} · {}",
            when(m.created_at),
            label(&m.role),
            label(&m.status)
        );
        if m.credits_used != 0 {
            head.push_str(&format!(" · {} credits", m.credits_used));
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
