//! One reply at a time per session: in this process by a map of the
//! sessions streaming here (each with its stop switch), and across
//! processes (app and CLI) by a live-owned `streaming` reply.

use super::{ChatError, ChatSession, ChatStore};
use crate::error::{Error, Result};
use crate::liveness::{self, OwnerLock};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

type Streaming = Arc<Mutex<HashMap<i64, watch::Sender<bool>>>>;

/// The sessions this process is answering in.
#[derive(Debug, Clone)]
pub(crate) struct Claims {
    streaming: Streaming,
    owner: Arc<OwnerLock>,
    run_dir: PathBuf,
}

impl Claims {
    pub(crate) fn new(owner: Arc<OwnerLock>, run_dir: PathBuf) -> Self {
        Self {
            streaming: Arc::default(),
            owner,
            run_dir,
        }
    }

    /// This process's owner id, stamped on the replies it streams.
    pub(crate) fn owner(&self) -> &str {
        self.owner.id()
    }

    /// Claims `session` for one reply, or `session_busy` if a live writer
    /// (here or in another process) is answering in it. The claim ends when
    /// the returned [`Claim`] is dropped; the receiver sees a stop request.
    pub(crate) async fn claim(
        &self,
        store: &ChatStore,
        session: &ChatSession,
    ) -> Result<(Claim, watch::Receiver<bool>)> {
        let busy = || {
            Error::from(ChatError::SessionBusy {
                session: session.display_id.clone(),
            })
        };
        let owners = store.stream_owners(session.id).await?;
        if owners
            .iter()
            .flatten()
            .any(|o| o != self.owner.id() && !liveness::owner_is_gone(&self.run_dir, o))
        {
            return Err(busy());
        }
        let mut streaming = self.lock();
        if streaming.contains_key(&session.id) {
            return Err(busy());
        }
        let (tx, rx) = watch::channel(false);
        streaming.insert(session.id, tx);
        let claim = Claim {
            streaming: self.streaming.clone(),
            session_id: session.id,
        };
        Ok((claim, rx))
    }

    /// Asks the reply streaming in `session_id` to stop; false if none is.
    pub(crate) fn stop(&self, session_id: i64) -> bool {
        self.lock()
            .get(&session_id)
            .is_some_and(|stop| stop.send(true).is_ok())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, watch::Sender<bool>>> {
        self.streaming
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Releases a session's claim when the reply ends, however it ends.
pub(crate) struct Claim {
    streaming: Streaming,
    session_id: i64,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.streaming
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.session_id);
    }
}
