//! The text of replies while they stream, one append-only file per reply.
//!
//! Each batch ([`super::BATCH_INTERVAL`] or [`super::BATCH_TOKENS`]) is appended to `<data>/streams/<id>.reply`
//! instead of being committed to SQLite: a SQLite commit writes whole 4 KB
//! pages, so a few dozen bytes of text would cost ~190× their size. The file
//! costs the text itself. Finishing a reply copies the text into the message
//! row once and deletes the file; after a crash the file is still there and
//! start-up recovery turns it into an `interrupted` reply.
//!
//! A journal that cannot be written ends its reply at once (the engine
//! refunds it, see [`JournalError`]); one that cannot be read at start-up
//! costs only its own text, never the start-up itself.

use crate::db::DbError;
use crate::error::ErrorCode;
use crate::error::Result;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

/// How often an open journal is pushed to the disk (`fdatasync`). Between
/// syncs a killed process loses nothing (the text is in the OS page cache);
/// only a power cut can lose up to this much.
const SYNC_EVERY: Duration = Duration::from_secs(1);
const EXTENSION: &str = "reply";

/// A reply whose text could not be written to its journal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("the reply could not be saved on this computer ({reason}); it was stopped and its cost refunded")]
    NotSaved { reason: String },
}

impl JournalError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotSaved { .. } => ErrorCode::ReplyNotSaved,
        }
    }

    pub(crate) fn not_saved(error: &crate::Error) -> Self {
        Self::NotSaved {
            reason: error.to_string(),
        }
    }
}

/// Where a store's streaming replies keep their text until they end: files
/// beside the desktop's database ([`ReplyJournal`]), rows in the server's
/// Postgres (`super::postgres_journal`), where any instance can read them.
pub trait Journals: Clone + std::fmt::Debug + Send + Sync + 'static {
    type Writer: JournalAppend;

    /// Starts an empty journal for a new reply.
    fn create(&self, message_id: i64) -> impl Future<Output = Result<Self::Writer>> + Send;

    /// The text saved so far; `None` (logged) when it exists but cannot be
    /// read, so a reader shows what the row has instead of failing.
    fn read_what_it_can(&self, message_id: i64) -> impl Future<Output = Option<String>> + Send;

    /// Drops a reply's journal once its text is in the message row (on
    /// Postgres the statement that wrote the row already did).
    fn remove(&self, message_id: i64) -> impl Future<Output = ()> + Send;
}

/// The open journal of one streaming reply.
pub trait JournalAppend: Send {
    /// Appends one batch.
    fn append(&mut self, text: &str) -> impl Future<Output = Result<()>> + Send;
}

/// Where streaming replies keep their text on the desktop.
#[derive(Debug, Clone)]
pub struct ReplyJournal {
    dir: PathBuf,
}

impl ReplyJournal {
    /// The journal directory beside the database file.
    pub(crate) fn beside(db_path: &Path) -> Self {
        let data_dir = db_path.parent().unwrap_or_else(|| Path::new("."));
        Self {
            dir: data_dir.join("streams"),
        }
    }

    fn path(&self, message_id: i64) -> PathBuf {
        self.dir.join(format!("{message_id}.{EXTENSION}"))
    }

    /// Starts an empty journal for a new reply (replacing any leftover with
    /// the same id, e.g. from a database restored from a backup).
    pub(crate) async fn create(&self, message_id: i64) -> Result<JournalWriter> {
        let path = self.path(message_id);
        // Private like the database: the journal holds the reply's text.
        crate::db::files::create_private_dir(&self.dir)?;
        let mut options = crate::db::files::private_options();
        options.truncate(true);
        let file = tokio::fs::OpenOptions::from(options)
            .open(&path)
            .await
            .map_err(io(&path))?;
        Ok(JournalWriter {
            file,
            path,
            synced_at: Instant::now(),
        })
    }

    /// The text saved so far for a reply; empty if it has no journal. A write
    /// cut inside a character by a crash loses only that character.
    pub(crate) async fn read(&self, message_id: i64) -> Result<String> {
        let path = self.path(message_id);
        // Only a regular file is read: opening a FIFO or device left in its
        // place could block or never end.
        match tokio::fs::metadata(&path).await {
            Ok(meta) if !meta.is_file() => {
                let source =
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
                return Err(io(&path)(source).into());
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
            Err(e) => return Err(io(&path)(e).into()),
        }
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(decode(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(io(&path)(e).into()),
        }
    }

    /// Like [`Self::read`] for readers that must not fail (start-up
    /// recovery, listing messages): `None`, logged, when the journal exists
    /// but cannot be read.
    pub(crate) async fn read_what_it_can(&self, message_id: i64) -> Option<String> {
        match self.read(message_id).await {
            Ok(text) => Some(text),
            Err(error) => {
                tracing::warn!(message_id, code = %error.code(), %error, "a reply journal cannot be read");
                None
            }
        }
    }

    /// Deletes a reply's journal once its text is in the database.
    pub(crate) async fn remove(&self, message_id: i64) {
        let path = self.path(message_id);
        if let Err(e) = tokio::fs::remove_file(&path).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), error = %e, "could not delete a reply journal");
            }
        }
    }

    /// The message ids that have a journal on disk.
    pub(crate) async fn ids(&self) -> Vec<i64> {
        let Ok(mut entries) = tokio::fs::read_dir(&self.dir).await else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name();
            let id = name
                .to_str()
                .and_then(|n| n.strip_suffix(&format!(".{EXTENSION}")))
                .and_then(|n| n.parse::<i64>().ok());
            ids.extend(id);
        }
        ids
    }
}

impl Journals for ReplyJournal {
    type Writer = JournalWriter;

    async fn create(&self, message_id: i64) -> Result<JournalWriter> {
        ReplyJournal::create(self, message_id).await
    }

    async fn read_what_it_can(&self, message_id: i64) -> Option<String> {
        ReplyJournal::read_what_it_can(self, message_id).await
    }

    async fn remove(&self, message_id: i64) {
        ReplyJournal::remove(self, message_id).await;
    }
}

impl JournalAppend for JournalWriter {
    async fn append(&mut self, text: &str) -> Result<()> {
        JournalWriter::append(self, text).await
    }
}

/// The open journal file of one streaming reply.
#[derive(Debug)]
pub struct JournalWriter {
    file: tokio::fs::File,
    path: PathBuf,
    synced_at: Instant,
}

impl JournalWriter {
    /// Appends one batch; returns once the OS has it.
    pub(crate) async fn append(&mut self, text: &str) -> Result<()> {
        self.file
            .write_all(text.as_bytes())
            .await
            .map_err(io(&self.path))?;
        self.file.flush().await.map_err(io(&self.path))?;
        if self.synced_at.elapsed() >= SYNC_EVERY {
            self.file.sync_data().await.map_err(io(&self.path))?;
            self.synced_at = Instant::now();
        }
        Ok(())
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DbError + '_ {
    move |source| DbError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Decodes UTF-8: a character cut at the very end (by a crash mid-write)
/// is dropped; invalid bytes anywhere else become U+FFFD, keeping the text
/// around them.
fn decode(mut bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(rest) => {
                text.push_str(rest);
                return text;
            }
            Err(e) => {
                let (valid, after) = bytes.split_at(e.valid_up_to());
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let Some(bad) = e.error_len() else {
                    return text; // an incomplete character at the end
                };
                text.push(char::REPLACEMENT_CHARACTER);
                bytes = after.get(bad..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_cut_by_a_crash_is_dropped() {
        let mut bytes = "héllo wörld".as_bytes().to_vec();
        bytes.pop(); // "d"
        assert_eq!(decode(&bytes), "héllo wörl");
        let cut = &"ab€".as_bytes()[..3]; // "ab" + first byte of "€"
        assert_eq!(decode(cut), "ab");
    }

    #[test]
    fn bad_bytes_in_the_middle_keep_the_text_around_them() {
        let mut bytes = b"Once \xFF\xFEupon".to_vec();
        bytes.extend_from_slice("€ a time".as_bytes());
        bytes.extend_from_slice(&"€".as_bytes()[..2]);
        assert_eq!(decode(&bytes), "Once \u{FFFD}\u{FFFD}upon€ a time");
        assert_eq!(decode(b"\xC3("), "\u{FFFD}(");
    }

    #[tokio::test]
    async fn a_directory_in_place_of_a_journal_is_unreadable_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let journal = ReplyJournal::beside(&dir.path().join("banter.db"));
        std::fs::create_dir_all(journal.path(3)).unwrap();
        assert!(journal.read(3).await.is_err());
        assert_eq!(journal.read_what_it_can(3).await, None);
        assert_eq!(journal.read_what_it_can(4).await, Some(String::new()));
        assert!(journal.create(3).await.is_err(), "cannot be written either");
    }

    #[tokio::test]
    async fn appends_survive_and_list() {
        let dir = tempfile::tempdir().unwrap();
        let journal = ReplyJournal::beside(&dir.path().join("banter.db"));
        let mut writer = journal.create(7).await.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&journal.path(7)), crate::db::PRIVATE_FILE_MODE);
            assert_eq!(mode(&journal.dir), crate::db::PRIVATE_DIR_MODE);
        }
        writer.append("Hello, ").await.unwrap();
        writer.append("wörld").await.unwrap();
        drop(writer);
        assert_eq!(journal.read(7).await.unwrap(), "Hello, wörld");
        assert_eq!(journal.ids().await, vec![7]);
        journal.remove(7).await;
        assert_eq!(journal.read(7).await.unwrap(), "");
        assert!(journal.ids().await.is_empty());
    }
}
