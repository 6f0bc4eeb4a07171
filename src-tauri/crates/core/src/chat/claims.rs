//! One reply at a time per session: in this process by a map of the
//! sessions streaming here (each with its stop switch), and across
//! processes (the app and the CLI, or server instances) by a live-owned
//! `streaming` reply. Whether another writer is alive is the [`Liveness`]
//! of the door: a file lock per process on the desktop (the core's
//! `liveness` module), a heartbeat per instance on the server.
//!
//! The claim is checked twice: before paying, from the writers read with
//! the session (`ChatRows::get_session_and_owners`; a session the send just
//! started has none), so a busy session is refused without touching the
//! ledger; and again inside the paying transaction, under the session's
//! lock and before anything is charged or replayed
//! (`ChatStore::pay_for_turn`, `ChatRows::lock_for_reply`), so two writers
//! racing for one session can never both open a reply. The second check
//! asks no one whether a writer is alive: a writer the first check found
//! gone stays gone (owner ids are never reused), and one it did not see
//! started after it, so it is alive. The paying transaction, which holds a
//! pooled connection and the account's lock, thus never waits for another
//! connection (a liveness check on the server is a query of its own).

use super::rows::Owners;
use super::{ChatError, ChatSession};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// What [`Liveness::is_gone`] returns.
pub type LivenessFuture<'a> = Pin<Box<dyn Future<Output = Result<bool>> + Send + 'a>>;

/// Who writes replies here, and whether another writer is still alive.
pub trait Liveness: Send + Sync + Debug {
    /// This writer's owner id, stamped on the replies it streams.
    fn owner(&self) -> &str;

    /// Whether the writer `owner` is gone (its replies are stranded).
    fn is_gone<'a>(&'a self, owner: &'a str) -> LivenessFuture<'a>;
}

type Streaming = Arc<Mutex<HashMap<i64, watch::Sender<bool>>>>;

/// The sessions this process is answering in. Cheap to clone; clones share
/// the map (a server makes one per instance, so a stop reaches any send).
#[derive(Debug, Clone)]
pub struct Claims {
    streaming: Streaming,
    liveness: Arc<dyn Liveness>,
}

impl Claims {
    pub fn new(liveness: Arc<dyn Liveness>) -> Self {
        Self {
            streaming: Arc::default(),
            liveness,
        }
    }

    /// Claims `session` for one reply, or `session_busy` if a live writer
    /// (here, or among `owners`, the writers of its streaming replies as read
    /// with it) is answering in it. The claim ends when the returned
    /// [`Claim`] is dropped; the receiver sees a stop request.
    pub(crate) async fn claim(
        &self,
        session: &ChatSession,
        owners: &Owners,
    ) -> Result<(Claim, watch::Receiver<bool>)> {
        let mut gone = Vec::new();
        for owner in owners.iter().flatten() {
            if owner == self.liveness.owner() || gone.contains(owner) {
                continue;
            }
            if !self.liveness.is_gone(owner).await? {
                return Err(busy(session));
            }
            gone.push(owner.clone());
        }
        let mut streaming = self.lock();
        if streaming.contains_key(&session.id) {
            return Err(busy(session));
        }
        let (tx, rx) = watch::channel(false);
        streaming.insert(session.id, tx);
        let claim = Claim {
            streaming: self.streaming.clone(),
            session_id: session.id,
            writer: ReplyWriter {
                liveness: self.liveness.clone(),
                gone: Arc::from(gone),
            },
        };
        Ok((claim, rx))
    }

    /// Asks the reply streaming in `session_id` to stop; false if none is.
    pub fn stop(&self, session_id: i64) -> bool {
        self.lock()
            .get(&session_id)
            .is_some_and(|stop| stop.send(true).is_ok())
    }

    /// Asks every reply streaming here to stop (a server shutting down after
    /// its grace period); returns how many were asked.
    pub fn stop_all(&self) -> usize {
        self.lock()
            .values()
            .filter(|stop| stop.send(true).is_ok())
            .count()
    }

    /// How many replies are streaming here.
    pub fn streaming(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, watch::Sender<bool>>> {
        self.streaming
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The error for a session another writer is answering in.
pub(crate) fn busy(session: &ChatSession) -> Error {
    Error::from(ChatError::SessionBusy {
        session: session.display_id.clone(),
    })
}

/// Who opens a claimed session's reply, and the writers the claim found
/// gone: what the paying transaction's check needs (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct ReplyWriter {
    liveness: Arc<dyn Liveness>,
    gone: Arc<[String]>,
}

impl ReplyWriter {
    /// The owner id stamped on the reply this writer streams.
    pub(crate) fn owner(&self) -> &str {
        self.liveness.owner()
    }

    /// Whether one of `owners` (the writers of the session's streaming
    /// replies, read under its lock) is another writer that is still alive:
    /// any the claim did not find gone. A reply with no known writer, or
    /// one whose writer is gone, is stranded and waits for recovery; it
    /// does not keep the session busy.
    pub(crate) fn another_live_writer(&self, owners: &[Option<String>]) -> bool {
        owners
            .iter()
            .flatten()
            .any(|owner| owner != self.owner() && !self.gone.contains(owner))
    }
}

/// Releases a session's claim when the reply ends, however it ends.
pub(crate) struct Claim {
    streaming: Streaming,
    session_id: i64,
    writer: ReplyWriter,
}

impl Claim {
    /// Who opens the claimed session's reply.
    pub(crate) fn writer(&self) -> &ReplyWriter {
        &self.writer
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.streaming
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.session_id);
    }
}
