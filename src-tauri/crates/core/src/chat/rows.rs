//! The chat store's storage seam, like the ledger's (`crate::ledger::rows`):
//! the statements the chat rules run, on one connection. The desktop's
//! SQLite ([`super::sqlite_rows`]) and the server's Postgres
//! ([`super::postgres_rows`]) implement them; which rows a rule reads or
//! writes, and when, stays in the chat module.

use super::journal::Journals;
use super::messages::NewMessage;
use super::replies::ReplyEnd;
use super::settings::SessionSettings;
use super::{ChatMessage, ChatSession, MessageStatus, Role};
use crate::error::Result;
use crate::ids::RecordRef;
use crate::ledger::ops::Usage;
use crate::ledger::rows::{LedgerRows, LedgerStore};
use chrono::{DateTime, Utc};
use std::future::Future;

/// A streaming reply left behind: its id, the spend that paid for it, and
/// the text its row holds.
pub type StrandedReply = (i64, Option<i64>, String);

/// The writers (owner ids) of a session's streaming replies; `None` for a
/// reply whose writer is unknown.
pub type Owners = Vec<Option<String>>;

/// Where the conversation before a new turn ends (see
/// [`ChatRows::lock_for_reply`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryEnd {
    /// At the session's active leaf: a new message follows it.
    ActiveLeaf,
    /// At this message (`None`: before the first one, a new path): an
    /// edited message's parent, or the parent of the question a
    /// regenerated reply answers.
    At(Option<i64>),
}

/// The active path ending at message `{start}` (an SQL expression), as a
/// recursive CTE named `path(id, parent_id)`: put it after `WITH RECURSIVE`.
/// Each step goes to a smaller id (a parent is always written before its
/// children), so even a damaged tree cannot make it loop.
pub(super) fn path_cte(start: &str) -> String {
    format!(
        "path(id, parent_id) AS (
             SELECT id, parent_id FROM chat_messages WHERE id = {start}
             UNION ALL
             SELECT m.id, m.parent_id FROM chat_messages m
               JOIN path p ON m.id = p.parent_id AND m.id < p.id)"
    )
}

/// Whether history message `m` (an alias of `chat_messages`) is a user
/// message with files ([`HistoryMessage::has_files`]), the same SQL on
/// SQLite and Postgres: one probe of the unique index on
/// `message_attachments (message_id, position)` per user message
/// (migrations: SQLite 0013, Postgres 0014); an assistant's is never probed,
/// as only user messages carry files.
pub(super) const HAS_FILES: &str = "(m.role = 'user' AND EXISTS (
         SELECT 1 FROM message_attachments a WHERE a.message_id = m.id))";

/// The number of messages on the path ending at message `{start}` (an SQL
/// expression): what `message_count` holds for the active leaf.
pub(super) fn path_length(start: &str) -> String {
    format!(
        "(WITH RECURSIVE {} SELECT COUNT(*) FROM path)",
        path_cte(start)
    )
}

/// What a writer about to open a reply reads (see
/// [`ChatRows::lock_for_reply`]).
#[derive(Debug, Default)]
pub struct ForReply {
    /// The writers of the session's streaming replies.
    pub owners: Owners,
    /// The message the conversation ends at (the new turn's user message
    /// follows it): the active leaf as read under the lock, or the one
    /// asked for.
    pub leaf: Option<i64>,
    /// The conversation before the reply's user message (the path ending
    /// at [`Self::leaf`]), newest first, as the model is shown it: user and
    /// assistant messages with text that ended well or were cut
    /// (`complete`, `stopped`, `interrupted`).
    pub history: Vec<HistoryMessage>,
}

/// One message of the conversation a prompt carries (see
/// [`ForReply::history`]); its id finds the files it was sent with.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HistoryMessage {
    pub id: i64,
    pub role: Role,
    pub content: String,
    /// Whether it is a user message with attachments, probed in the same
    /// statement that reads it (by the `message_attachments` index on
    /// `(message_id, position)`): a history with none reads no files at
    /// all (`chat::prompt::file_carriers`).
    pub has_files: bool,
}

/// A reply as [`ChatRows::finish_reply`] left it, with its session and the
/// user's buckets as they are then.
#[derive(Debug)]
pub struct FinishedReply {
    pub reply: ChatMessage,
    pub session: ChatSession,
    pub usage: Usage,
}

/// The statements on sessions and messages. Methods that take a `user_id`
/// only ever see that user's rows.
pub trait ChatRows: LedgerRows + super::attachment_rows::AttachmentRows {
    /// A new session with the next display id of the user's sequence. One
    /// statement on Postgres (see `LedgerStore::begin_single_write`).
    fn create_session(
        &mut self,
        user_id: &str,
        title: Option<&str>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ChatSession>> + Send;

    fn get_session(
        &mut self,
        user_id: &str,
        session: &RecordRef,
    ) -> impl Future<Output = Result<Option<ChatSession>>> + Send;

    /// [`Self::get_session`] with the writers of its streaming replies
    /// ([`Self::stream_owners`]), read together: what a send checks before
    /// it pays. One statement on Postgres.
    fn get_session_and_owners(
        &mut self,
        user_id: &str,
        session: &RecordRef,
    ) -> impl Future<Output = Result<Option<(ChatSession, Owners)>>> + Send;

    /// A session by row id, whoever owns it (the caller already knows it is
    /// the user's: it came from one of their rows).
    fn fetch_session(&mut self, id: i64) -> impl Future<Output = Result<ChatSession>> + Send;

    /// The user's sessions, most recently active first, after `after`
    /// (`updated_at`, `id`) when given.
    fn list_sessions(
        &mut self,
        user_id: &str,
        after: Option<(DateTime<Utc>, i64)>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ChatSession>>> + Send;

    fn rename_session(
        &mut self,
        user_id: &str,
        session: &RecordRef,
        title: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<ChatSession>>> + Send;

    /// Stores a chat's (checked) settings; `None` if it is not the user's.
    /// Replaces the session's settings; with `keep_model`, all but its
    /// model (a caller that does not know of models).
    fn set_session_settings(
        &mut self,
        user_id: &str,
        session: &RecordRef,
        settings: &SessionSettings,
        keep_model: bool,
    ) -> impl Future<Output = Result<Option<ChatSession>>> + Send;

    fn delete_session(
        &mut self,
        user_id: &str,
        session: &RecordRef,
    ) -> impl Future<Output = Result<Option<ChatSession>>> + Send;

    /// Deletes session `id` if it has no message.
    fn discard_session_if_empty(
        &mut self,
        user_id: &str,
        id: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The session of the user message that the spend stored under
    /// `stored_key` paid for.
    fn session_paid_with(
        &mut self,
        user_id: &str,
        stored_key: &str,
    ) -> impl Future<Output = Result<Option<ChatSession>>> + Send;

    /// Inserts a message after its parent and makes it the session's active
    /// leaf; a user message also names an untitled session (`title` is what
    /// [`super::title_from_message`] makes of it).
    fn insert_message(
        &mut self,
        user_id: &str,
        message: NewMessage<'_>,
        title: Option<&str>,
    ) -> impl Future<Output = Result<ChatMessage>> + Send;

    /// A new user message (naming an untitled session, as
    /// [`Self::insert_message`] does) and the empty `streaming` reply to it
    /// written by `owner`, paid by the message's spend; the reply becomes
    /// the active leaf. One statement on Postgres.
    fn insert_exchange(
        &mut self,
        user_id: &str,
        message: NewMessage<'_>,
        title: Option<&str>,
        owner: &str,
    ) -> impl Future<Output = Result<(ChatMessage, ChatMessage)>> + Send;

    /// An empty `streaming` reply to `question` written by `owner`; it
    /// becomes the active leaf (a sibling of the question's other replies).
    fn insert_reply(
        &mut self,
        user_id: &str,
        session_id: i64,
        question: i64,
        spend_id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ChatMessage>> + Send;

    fn fetch_message(&mut self, id: i64) -> impl Future<Output = Result<ChatMessage>> + Send;

    /// The messages of a session's active path with `id < before`, newest
    /// first. (Without an active leaf, or one this store does not hold, the
    /// path ends at its newest message.)
    fn messages_before(
        &mut self,
        session_id: i64,
        before: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ChatMessage>>> + Send;

    /// The messages spend `spend_id` paid for, oldest first.
    fn messages_paid_by(
        &mut self,
        spend_id: i64,
    ) -> impl Future<Output = Result<Vec<ChatMessage>>> + Send;

    /// Every message of a session, branches too, by id.
    fn session_messages(
        &mut self,
        session_id: i64,
    ) -> impl Future<Output = Result<Vec<ChatMessage>>> + Send;

    /// The shape of a session's tree: each message's id and parent, by id.
    fn message_links(
        &mut self,
        session_id: i64,
    ) -> impl Future<Output = Result<Vec<(i64, Option<i64>)>>> + Send;

    /// Makes `leaf` the end of the user's session's active path, counting
    /// the path as its `message_count`; `None` if the user has no such
    /// session. The caller checked that `leaf` is one of its messages.
    fn set_active_leaf(
        &mut self,
        user_id: &str,
        session_id: i64,
        leaf: i64,
    ) -> impl Future<Output = Result<Option<ChatSession>>> + Send;

    /// Writes a reply's final text, status and tokens; it no longer streams.
    /// Returns it with its session and `user_id`'s buckets as they are now.
    /// A reply that no longer streams (recovery ended it, judging its
    /// writer gone) is left as recovery charged or refunded it: `not_found`.
    /// One statement on Postgres (see `LedgerStore::begin_single_write`),
    /// which also drops the reply's journal rows (see [`Self::mark_interrupted`]).
    fn finish_reply(
        &mut self,
        user_id: &str,
        id: i64,
        end: &ReplyEnd<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<FinishedReply>> + Send;

    /// Ends a reply that is refunded: its status and error, and the text and
    /// tokens when given (else what the row has); a reply recovery already
    /// ended stays as it is. On Postgres the reply's
    /// journal rows go in the same statement (see [`Self::mark_interrupted`]).
    fn end_refunded_reply(
        &mut self,
        id: i64,
        status: MessageStatus,
        error: &str,
        content: Option<&str>,
        tokens: Option<i64>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The user message paid by `spend_id` costs nothing any more (refunded).
    fn unbill_user_message(&mut self, spend_id: i64) -> impl Future<Output = Result<()>> + Send;

    /// The writers of a session's streaming replies.
    fn stream_owners(&mut self, session_id: i64) -> impl Future<Output = Result<Owners>> + Send;

    /// What a writer about to open a reply in the session must know (see
    /// [`ForReply`]): the writers of its streaming replies, and the last
    /// `history_limit` messages of the path ending where `end` says. Read inside the paying transaction once the user's buckets
    /// are locked (`LedgerRows::lock_usage`), with the session locked until
    /// it ends.
    ///
    /// Every writer that opens a reply holds its user's bucket lock until it
    /// commits, so two writers opening a reply in one session take turns,
    /// and the second sees the first's reply. (That is why Postgres may lock
    /// the session and read in one statement, whose snapshot is taken before
    /// any wait for the session's lock: no reply or message can be written
    /// in the session while the caller holds the bucket lock, and what such
    /// a wait can be for — a rename, deleting the session or one of its
    /// messages — writes none.)
    fn lock_for_reply(
        &mut self,
        session_id: i64,
        end: HistoryEnd,
        history_limit: i64,
    ) -> impl Future<Output = Result<ForReply>> + Send;

    /// Every writer of a streaming reply, once each.
    fn streaming_owners(&mut self) -> impl Future<Output = Result<Vec<Option<String>>>> + Send;

    /// The streaming replies written by `owner` (`None`: by nobody known),
    /// by id: recoverers lock them in the same order, so they never deadlock.
    fn stranded_replies(
        &mut self,
        owner: Option<&str>,
    ) -> impl Future<Output = Result<Vec<StrandedReply>>> + Send;

    /// Whether reply `id` still streams. Inside a write transaction the
    /// answer holds until it ends (Postgres locks the row; SQLite has one
    /// writer), so two recoverers never both end the same reply.
    fn is_streaming(&mut self, id: i64) -> impl Future<Output = Result<bool>> + Send;

    /// Marks a streaming reply `interrupted` with the text it got.
    ///
    /// The three statements that end a streaming reply (this one,
    /// [`Self::finish_reply`] and [`Self::end_refunded_reply`]) drop its
    /// journal rows on Postgres, in the same statement: a reply never ends
    /// with its streamed text left behind, and the text is never dropped
    /// before the row holding it is written.
    fn mark_interrupted(
        &mut self,
        id: i64,
        text: &str,
        tokens: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// A store chat can live in: its rows, and where streaming replies keep
/// their text until they end.
pub trait ChatBackend: LedgerStore<Conn: ChatRows> {
    type Journal: Journals;
}
