//! Chat sessions and their messages: the rows and their invariants
//! ([`ChatStore`]) and sending to a model ([`ChatEngine`]).

mod attachment_rows;
pub mod attachments;
mod branches;
mod claims;
mod engine;
mod error;
mod export;
mod journal;
mod listener;
mod messages;
mod paying;
mod postgres_journal;
mod postgres_rows;
mod prompt;
mod replies;
pub mod rows;
mod search;
mod sessions;
mod settings;
mod sqlite_rows;
mod stream;
mod title;
mod turn;

pub use attachments::{Attachment, AttachmentError, AttachmentInfo, AttachmentKind};
pub use branches::Branch;
pub use claims::{Claims, Liveness, LivenessFuture};
pub use engine::{ChatEngine, SendOutcome, SendRequest};
pub use error::ChatError;
pub use export::{ExportFormat, ExportedFile, SessionTree, TreeMessage, EXPORT_FORMAT};
pub use journal::{JournalAppend, JournalError, Journals, ReplyJournal};
pub use listener::ReplyListener;
pub use messages::NewMessage;
pub use postgres_journal::PgJournal;
pub use prompt::{DEVELOPER_PROMPT, HISTORY_MESSAGES};
pub(crate) use replies::recover_interrupted;
pub use replies::recover_stranded;
pub use replies::ReplyEnd;
pub use search::{SearchHit, MATCH_END, MATCH_START, MAX_QUERY_CHARS};
pub use settings::{SessionSettings, MAX_SYSTEM_PROMPT_CHARS};
pub(crate) use sqlite_rows::recount_active_path;
pub use stream::{BATCH_INTERVAL, BATCH_TOKENS};

pub use title::title_from_message;

use crate::clock::SharedClock;
use crate::db::Db;
use crate::ledger::Ledger;
use chrono::{DateTime, Utc};
use rows::ChatBackend;
use serde::{Deserialize, Serialize};

/// Default and largest page sizes for listings.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChatSession {
    pub id: i64,
    pub display_id: String,
    /// `None` until the first message names the session.
    pub title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How many messages the active path holds (see [`branches`]).
    pub message_count: i64,
    /// The last message of the active path: the conversation the session
    /// shows and the model is sent. `None` before the first message.
    #[serde(default)]
    pub active_leaf_id: Option<i64>,
    /// This chat's instructions in place of the app's (see
    /// [`SessionSettings`]); `None` sends the app's. Read by every query
    /// of [`SESSION_COLUMNS`]; a narrower one leaves it `None`.
    #[serde(default)]
    #[sqlx(default)]
    pub system_prompt: Option<String>,
    /// The effort asked of an o-series deployment; `None` keeps its own.
    #[serde(default)]
    #[sqlx(default)]
    pub reasoning_effort: Option<crate::providers::ReasoningEffort>,
    /// The configured model this chat is answered by (its name in the
    /// [`crate::providers::ModelCatalog`]); `None`: the default model.
    #[serde(default)]
    #[sqlx(default)]
    pub model: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    System,
}

/// Where a message is in its life: assistant replies start `streaming`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MessageStatus {
    Complete,
    Streaming,
    /// The app stopped (crash, quit) mid-reply; the text so far is kept.
    Interrupted,
    /// The user stopped the reply.
    Stopped,
    /// The provider's content filter ended the reply.
    Filtered,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: i64,
    pub session_id: i64,
    pub role: Role,
    pub content: String,
    pub tokens: Option<i64>,
    pub credits_used: i64,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The message this one follows; `None` for the first of a path. Its
    /// siblings (the same parent) are the other versions: an edited
    /// message sent again, a regenerated reply.
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// The deployment or model that wrote a reply ("o3-mini"); `None` for
    /// user messages and replies that ended without text.
    #[serde(default)]
    #[sqlx(default)]
    pub model: Option<String>,
    /// The reasoning effort the reply was asked with, if one was sent.
    #[serde(default)]
    #[sqlx(default)]
    pub reasoning_effort: Option<crate::providers::ReasoningEffort>,
}

/// One page of sessions, most recently active first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    pub sessions: Vec<ChatSession>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// One page of a session's active path in chronological order, ending at
/// its newest message (first page) or just before `before`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub messages: Vec<ChatMessage>,
    /// Message id to pass as `before` for older messages; `None` at the start.
    pub older_cursor: Option<i64>,
    /// The page's messages that have other versions, with all of them.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// The files the page's messages carry (without their bytes), by
    /// message then order.
    #[serde(default)]
    pub attachments: Vec<AttachmentInfo>,
}

/// Sessions and messages of one user, on the desktop's SQLite (the
/// default) or the server's Postgres (see [`rows`]).
#[derive(Debug, Clone)]
pub struct ChatStore<S: ChatBackend = Db> {
    db: S,
    clock: SharedClock,
    ledger: Ledger<S>,
    user_id: String,
    journal: S::Journal,
}

impl<S: ChatBackend> ChatStore<S> {
    pub fn new(
        db: S,
        clock: SharedClock,
        ledger: Ledger<S>,
        user_id: String,
        journal: S::Journal,
    ) -> Self {
        Self {
            db,
            clock,
            ledger,
            user_id,
            journal,
        }
    }
}

/// The columns of a [`ChatSession`], in its field order (also the server's
/// change feed reads sessions with them).
pub const SESSION_COLUMNS: &str = "id, display_id, title, created_at, updated_at, message_count, \
     active_leaf_id, system_prompt, reasoning_effort, model";
/// The columns of a [`ChatMessage`], in its field order.
pub const MESSAGE_COLUMNS: &str =
    "id, session_id, role, content, tokens, credits_used, status, error, \
     created_at, updated_at, parent_id, model, reasoning_effort";

fn page_size(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}
