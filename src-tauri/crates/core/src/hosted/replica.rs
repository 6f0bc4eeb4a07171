//! [`Replica`]: this computer's copy of a signed-in account's conversations,
//! so history stays readable (and searchable, and exportable) without a
//! network.
//!
//! The server is the authority; the copy only ever holds what the server
//! said. It is written as the device reads pages from the server and as
//! its own sends finish ([`super::history::HostedHistory`]). Each account has its own SQLite
//! file with the local schema (so the core's own reading, search and
//! export work on it unchanged) under the profile's `accounts/` directory,
//! named by a hash of the server and the account: two accounts' data never
//! share a file, and the local-mode database is never touched. Ids are the
//! server's, so cursors handed out online keep working offline.

use super::accounts::HostedAccount;
use crate::chat::{
    Attachment, AttachmentInfo, ChatMessage, ChatSession, ChatStore, MessagePage, ReplyJournal,
    SessionPage,
};
use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::Result;
use crate::events::EventBus;
use crate::ledger::Ledger;
use crate::projects::ProjectStore;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The directory under the profile's data directory that holds the
/// accounts' copies.
pub const ACCOUNTS_DIR: &str = "accounts";
/// The copy's database file inside its account's directory.
const COPY_FILE: &str = "history.db";
/// Beside it, the file processes lock for their turn at syncing it
/// ([`Replica::sync_turn`]).
const SYNC_LOCK_FILE: &str = "sync.lock";

/// How long a turn at syncing waits for another process before going on
/// without the lock file (with a warning): another process holds it at
/// most across a push's requests, each bounded by the request timeout.
const SYNC_TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
/// Between two tries of the lock file.
const SYNC_TURN_POLL: std::time::Duration = std::time::Duration::from_millis(25);

/// Takes the lock file at `path` (see [`Replica::sync_turn`]), polling so
/// that a caller that stops waiting (a command's catch-up running out of
/// time) leaves nothing behind. `None` when the copy's directory is gone
/// (it was removed: nothing to sync) or the wait ran out.
async fn lock_sync_file(path: &Path) -> Option<std::fs::File> {
    let file = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
    {
        Ok(file) => file,
        Err(error) => {
            tracing::warn!(%error, "cannot open the copy's sync lock; taking turns within this process only");
            return None;
        }
    };
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Some(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < SYNC_TURN_WAIT => {
                tokio::time::sleep(SYNC_TURN_POLL).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::warn!(
                    "another process kept the copy's sync lock too long; syncing without it"
                );
                return None;
            }
            Err(std::fs::TryLockError::Error(error)) => {
                tracing::warn!(%error, "cannot lock the copy's sync lock; taking turns within this process only");
                return None;
            }
        }
    }
}

/// One turn at pushing and pulling a copy (see [`Replica::sync_turn`]).
pub(super) struct SyncTurn<'a> {
    _here: tokio::sync::MutexGuard<'a, ()>,
    _across: Option<std::fs::File>,
}
/// Beside it, when the user signed out and chose to keep the copy: the
/// shelf then leaves it alone until the same account signs in again (and
/// uses it) — it is never opened for another account (each account has
/// its own directory).
const KEPT_FILE: &str = "kept-after-sign-out";

/// What signing out does with this computer's copy of the account's
/// history: remove it (the default: nothing of the account stays), or
/// keep it for the next sign-in of the same account, which then pulls
/// only what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AtSignOut {
    RemoveCopy,
    KeepCopy,
}

/// One account's copy of its history on this computer.
#[derive(Debug, Clone)]
pub struct Replica {
    pub(super) db: Db,
    chat: ChatStore,
    projects: ProjectStore,
    pub(super) user_id: String,
    pub(super) clock: SharedClock,
    /// Held across a push and a pull (or a push and the edit after it),
    /// so this process never sends the queue twice at once nor applies
    /// two pulls out of order (see [`super::outbox`], [`super::sync`]);
    /// [`Self::sync_turn`] adds the lock file other processes take.
    sync_lock: Arc<Mutex<()>>,
    dir: PathBuf,
}

/// The accounts' copies under one profile's `accounts/` directory, and the
/// one copy this process keeps open (its pool is the costly part).
#[derive(Debug, Clone)]
pub(crate) struct Shelf {
    dir: PathBuf,
    open: Arc<Mutex<Option<(HostedAccount, Replica)>>>,
}

impl Shelf {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            open: Arc::default(),
        }
    }

    /// The directory of `account`'s copy.
    pub(crate) fn dir_of(&self, account: &HostedAccount) -> PathBuf {
        replica_dir(&self.dir, account)
    }

    /// `account`'s copy, opened once per sign-in. Opening it first removes
    /// whatever else is on the shelf: copies of accounts this profile is no
    /// longer signed in to (a removal that failed at their sign-out, e.g.
    /// a file another program held open).
    pub(crate) async fn open_for(
        &self,
        account: &HostedAccount,
        clock: &SharedClock,
    ) -> Result<Replica> {
        let mut open = self.open.lock().await;
        if let Some((held, copy)) = open.as_ref() {
            if held == account && copy.exists() {
                return Ok(copy.clone());
            }
        }
        if let Some((_, old)) = open.take() {
            old.close().await;
        }
        let keep = self.dir_of(account);
        remove_others(&self.dir, &keep).await;
        // Signed in again: the copy is in use, and the next sign-out
        // decides anew.
        remove_file(&keep.join(KEPT_FILE)).await;
        let copy = Replica::open(&self.dir, account, clock).await?;
        *open = Some((account.clone(), copy.clone()));
        Ok(copy)
    }

    /// Removes the copy in `dir`, closing it first if it is the open one
    /// (an open SQLite file cannot be removed on every OS).
    pub(crate) async fn remove(&self, dir: &Path) {
        let mut open = self.open.lock().await;
        if open.as_ref().is_some_and(|(_, copy)| copy.dir() == dir) {
            if let Some((_, copy)) = open.take() {
                copy.close().await;
            }
        }
        remove_dir(dir).await;
    }

    /// Closes the copy in `dir` and marks it kept (see [`KEPT_FILE`]).
    pub(crate) async fn keep(&self, dir: &Path) {
        let mut open = self.open.lock().await;
        if open.as_ref().is_some_and(|(_, copy)| copy.dir() == dir) {
            if let Some((_, copy)) = open.take() {
                copy.close().await;
            }
        }
        drop(open);
        self.mark_kept(dir, true).await;
    }

    /// Writes (`true`) or removes the [`KEPT_FILE`] mark of the copy in
    /// `dir`.
    pub(crate) async fn mark_kept(&self, dir: &Path, kept: bool) {
        let mark = dir.join(KEPT_FILE);
        if kept {
            if let Err(error) = tokio::fs::write(&mark, b"").await {
                tracing::warn!(%error, "could not mark the copy of an account's history as kept; it goes at the next sign-in");
            }
        } else {
            remove_file(&mark).await;
        }
    }

    /// Removes the copy in `dir` unless it was kept at a sign-out.
    pub(crate) async fn remove_unless_kept(&self, dir: &Path) {
        if !is_kept(dir).await {
            self.remove(dir).await;
        }
    }
}

/// A mark that cannot be read counts as there: a copy is never removed
/// because of a doubt.
async fn is_kept(dir: &Path) -> bool {
    tokio::fs::try_exists(dir.join(KEPT_FILE))
        .await
        .unwrap_or(true)
}

async fn remove_file(path: &Path) {
    match tokio::fs::remove_file(path).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(%error, "could not unmark a kept copy"),
    }
}

/// Removes every directory under `shelf` but `keep` and the copies kept at
/// a sign-out.
async fn remove_others(shelf: &Path, keep: &Path) {
    let Ok(mut entries) = tokio::fs::read_dir(shelf).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        if path != keep && path.is_dir() && !is_kept(&path).await {
            remove_dir(&path).await;
        }
    }
}

async fn remove_dir(dir: &Path) {
    match tokio::fs::remove_dir_all(dir).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(%error, "could not remove a copy of an account's history; it goes at the next sign-in")
        }
    }
}

/// The directory of `account`'s copy under `accounts_dir`.
fn replica_dir(accounts_dir: &Path, account: &HostedAccount) -> PathBuf {
    let mut hash = Sha256::new();
    hash.update(account.server.as_bytes());
    hash.update(b"\n");
    hash.update(account.user_id.as_bytes());
    let digest = hash.finalize();
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    accounts_dir.join(name)
}

impl Replica {
    /// Opens (creating if absent) `account`'s copy under `accounts_dir`.
    pub(crate) async fn open(
        accounts_dir: &Path,
        account: &HostedAccount,
        clock: &SharedClock,
    ) -> Result<Self> {
        let dir = replica_dir(accounts_dir, account);
        let path = dir.join(COPY_FILE);
        let db = Db::open(&path, clock).await?;
        let mut tx = db.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, display_name, email, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name,
                                           email = excluded.email",
        )
        .bind(&account.user_id)
        .bind(&account.display_name)
        .bind(&account.email)
        .bind(account.signed_in_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // The copy's store only reads (and never spends: its ledger is empty).
        let ledger = Ledger::new(db.clone(), clock.clone(), EventBus::default());
        let chat = ChatStore::new(
            db.clone(),
            clock.clone(),
            ledger,
            account.user_id.clone(),
            ReplyJournal::beside(&path),
        );
        let projects = ProjectStore::new(db.clone(), clock.clone(), account.user_id.clone());
        Ok(Self {
            db,
            chat,
            projects,
            user_id: account.user_id.clone(),
            clock: clock.clone(),
            sync_lock: Arc::default(),
            dir,
        })
    }

    /// The copy's directory (removed whole when the device is signed out).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// False once a sign-out removed the copy's files.
    pub(crate) fn exists(&self) -> bool {
        self.db.path().exists()
    }

    /// A turn at pushing and pulling this copy, among this process's tasks
    /// and every process of the profile (the app and `banter-cli` can run
    /// at once): without it two could send the same queued edit, or one
    /// send an edit naming a record made offline that the other has just
    /// given its server id. Held until the returned guard is dropped.
    pub(super) async fn sync_turn(&self) -> SyncTurn<'_> {
        let here = self.sync_lock.lock().await;
        let across = lock_sync_file(&self.dir.join(SYNC_LOCK_FILE)).await;
        SyncTurn {
            _here: here,
            _across: across,
        }
    }

    /// Reading the copy: the core's own listing, search and export.
    pub fn chat(&self) -> &ChatStore {
        &self.chat
    }

    /// Reading the copy's projects, tasks and saved pages (kept by the
    /// change feed, see [`super::replica_sync`]).
    pub fn projects(&self) -> &ProjectStore {
        &self.projects
    }

    /// Closes the copy's database (before its files are removed).
    pub(crate) async fn close(&self) {
        self.db.close_connections().await;
    }

    /// Keeps a page of sessions the server listed after `cursor` (only
    /// while the copy has never pulled the change feed: once it follows
    /// the feed, the feed keeps it, and a page read before a pull must not
    /// undo what the pull applied); returns
    /// the sessions the copy holds in the page's range that the server did
    /// not list: deleted there, or moved up the list by new activity (the
    /// caller asks the server which).
    pub async fn keep_sessions(
        &self,
        cursor: Option<&str>,
        page: &SessionPage,
    ) -> Result<Vec<i64>> {
        let listed: HashSet<i64> = page.sessions.iter().map(|s| s.id).collect();
        let mut unlisted = Vec::new();
        let mut after = cursor.map(str::to_string);
        // The page's range ends at its last session when there is a next
        // page; at the end of the list when there is none.
        let end = page
            .next_cursor
            .as_ref()
            .and_then(|_| page.sessions.last())
            .map(|s| (s.updated_at, s.id));
        'copy: loop {
            let held = self
                .chat
                .list_sessions(after.as_deref(), Some(crate::chat::MAX_PAGE))
                .await?;
            for session in &held.sessions {
                if end.is_some_and(|end| (session.updated_at, session.id) < end) {
                    break 'copy;
                }
                if !listed.contains(&session.id) {
                    unlisted.push(session.id);
                }
            }
            match held.next_cursor {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut tx = self.db.begin_write().await?;
        if follows_feed(&mut tx).await? {
            return Ok(Vec::new());
        }
        for session in &page.sessions {
            put_session(&mut tx, &self.user_id, session).await?;
        }
        tx.commit().await?;
        Ok(unlisted)
    }

    /// Keeps a page of `session`'s messages the server listed before
    /// `before` (only while the copy has never pulled, as for
    /// [`Self::keep_sessions`]); the copy's messages in that range the server did not list
    /// are removed (a regenerated reply replaces the old one). Messages of
    /// a session the copy does not hold yet are kept with it.
    pub async fn keep_messages(
        &self,
        session: &ChatSession,
        before: Option<i64>,
        page: &MessagePage,
    ) -> Result<()> {
        let from = match page.older_cursor {
            Some(_) => page.messages.first().map_or(i64::MAX, |m| m.id),
            None => i64::MIN,
        };
        let until = before.unwrap_or(i64::MAX);
        // The page is the active path; the other versions of its messages
        // the server named are not gone.
        let listed: Vec<i64> = page
            .messages
            .iter()
            .map(|m| m.id)
            .chain(
                page.branches
                    .iter()
                    .flat_map(|b| b.versions.iter().copied()),
            )
            .collect();
        let mut tx = self.db.begin_write().await?;
        if follows_feed(&mut tx).await? {
            return Ok(());
        }
        put_session(&mut tx, &self.user_id, session).await?;
        remove_unlisted(&mut tx, session.id, (from, until), &listed).await?;
        for message in &page.messages {
            put_message(&mut tx, &self.user_id, message).await?;
        }
        // The server's count and time, not the triggers' (the copy may
        // hold only some of the session's messages).
        put_session(&mut tx, &self.user_id, session).await?;
        tx.commit().await
    }

    /// Keeps one exchange (a send's or a regeneration's outcome, or one
    /// replayed). Nothing is removed: a regenerated reply is another
    /// version beside the old one.
    pub async fn keep_exchange(
        &self,
        session: &ChatSession,
        messages: &[&ChatMessage],
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        put_session(&mut tx, &self.user_id, session).await?;
        for message in messages {
            put_message(&mut tx, &self.user_id, message).await?;
        }
        put_session(&mut tx, &self.user_id, session).await?;
        tx.commit().await
    }

    /// Which of `ids` (attachments the server listed) the copy holds.
    pub async fn held_attachments(&self, ids: &[i64]) -> Result<HashSet<i64>> {
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let held: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM message_attachments WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids)
        .fetch_all(self.db.pool())
        .await?;
        Ok(held.into_iter().collect())
    }

    /// Keeps one attachment (bytes and all) under the server's id, so an
    /// id handed out online names it offline too; nothing when the copy
    /// does not hold its message (yet) or holds the attachment already.
    /// `position` is its place among its message's files.
    pub async fn keep_attachment(
        &self,
        info: &AttachmentInfo,
        position: i64,
        attachment: &Attachment,
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO message_attachments
               (id, message_id, position, name, kind, mime, size_bytes, tokens, data, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
              WHERE EXISTS (SELECT 1 FROM chat_messages WHERE id = ?2)
             ON CONFLICT DO NOTHING",
        )
        .bind(info.id)
        .bind(info.message_id)
        .bind(position)
        .bind(&attachment.name)
        .bind(attachment.kind)
        .bind(&attachment.mime)
        .bind(info.size_bytes)
        .bind(info.tokens)
        .bind(&attachment.data)
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Keeps a session as the server now has it (renamed).
    pub async fn keep_session(&self, session: &ChatSession) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        put_session(&mut tx, &self.user_id, session).await?;
        tx.commit().await
    }

    /// Removes a session the server deleted (or no longer has).
    pub async fn forget_session(&self, session_id: i64) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        remove_session(&mut tx, session_id).await?;
        tx.commit().await
    }
}

/// Inserts or updates a session row with the server's values.
pub(super) async fn put_session(
    conn: &mut SqliteConnection,
    user_id: &str,
    session: &ChatSession,
) -> Result<()> {
    // A display id is the server's per-account name of one session; a row
    // holding it under another id is an old copy of a session that is gone.
    sqlx::query("DELETE FROM chat_sessions WHERE display_id = ? AND id <> ?")
        .bind(&session.display_id)
        .bind(session.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO chat_sessions (id, user_id, display_id, title, created_at, updated_at,
                                    message_count, active_leaf_id, system_prompt, reasoning_effort,
                                    model)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET display_id = excluded.display_id, title = excluded.title,
             created_at = excluded.created_at, updated_at = excluded.updated_at,
             message_count = excluded.message_count, active_leaf_id = excluded.active_leaf_id,
             system_prompt = excluded.system_prompt, reasoning_effort = excluded.reasoning_effort,
             model = excluded.model",
    )
    .bind(session.id)
    .bind(user_id)
    .bind(&session.display_id)
    .bind(&session.title)
    .bind(session.created_at)
    .bind(session.updated_at)
    .bind(session.message_count)
    .bind(session.active_leaf_id)
    .bind(&session.system_prompt)
    .bind(session.reasoning_effort)
    .bind(&session.model)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts or updates a message row with the server's values. A reply
/// streams once and then ends for good, so a `streaming` state never
/// overwrites an ended one: a pull that read the reply while it streamed
/// and applies after the send kept its end (or a later pull) must not put
/// the reply back to streaming, empty.
pub(super) async fn put_message(
    conn: &mut SqliteConnection,
    user_id: &str,
    message: &ChatMessage,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_messages (id, session_id, user_id, role, content, tokens, credits_used,
                                    status, error, created_at, updated_at, parent_id, model,
                                    reasoning_effort)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET content = excluded.content, tokens = excluded.tokens,
             credits_used = excluded.credits_used, status = excluded.status,
             error = excluded.error, updated_at = excluded.updated_at, model = excluded.model,
             reasoning_effort = excluded.reasoning_effort
           WHERE excluded.status <> 'streaming' OR chat_messages.status = 'streaming'",
    )
    .bind(message.id)
    .bind(message.session_id)
    .bind(user_id)
    .bind(message.role)
    .bind(&message.content)
    .bind(message.tokens)
    .bind(message.credits_used)
    .bind(message.status)
    .bind(&message.error)
    .bind(message.created_at)
    .bind(message.updated_at)
    .bind(message.parent_id)
    .bind(&message.model)
    .bind(message.reasoning_effort)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes `session_id`'s messages with ids in `[from, until)` that are
/// not `listed`.
async fn remove_unlisted(
    conn: &mut SqliteConnection,
    session_id: i64,
    (from, until): (i64, i64),
    listed: &[i64],
) -> Result<()> {
    let held: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM chat_messages WHERE session_id = ? AND id >= ? AND id < ?",
    )
    .bind(session_id)
    .bind(from)
    .bind(until)
    .fetch_all(&mut *conn)
    .await?;
    for id in held.into_iter().filter(|id| !listed.contains(id)) {
        sqlx::query("DELETE FROM chat_messages WHERE id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn remove_session(conn: &mut SqliteConnection, session_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM chat_sessions WHERE id = ?")
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether the copy has pulled the change feed (then the feed keeps it);
/// read inside the caller's write, which a pull's write cannot overlap.
async fn follows_feed(conn: &mut SqliteConnection) -> Result<bool> {
    let cursor: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(super::replica_sync::CURSOR_KEY)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(cursor.is_some())
}
