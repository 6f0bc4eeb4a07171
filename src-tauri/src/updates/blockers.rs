//! Gathering what an install would interrupt ([`InstallBlockers`]): the
//! replies streaming here — the core's own (local sends) and the ones this
//! app relays from the server ([`ServerReplies`]) — and the checkouts
//! waiting for their payment (the server's when signed in, else this
//! computer's).

use super::guard::InstallBlockers;
use crate::hosted;
use banter_core::{ApiError, Core};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Replies this app is relaying from the server (a signed-in send or
/// regenerate): the core's claims see only local sends. Managed state;
/// each send holds a [`ServerReply`] while it runs.
#[derive(Debug, Clone, Default)]
pub struct ServerReplies(Arc<AtomicUsize>);

impl ServerReplies {
    /// Counts one reply until the returned guard is dropped.
    pub fn begin(&self) -> ServerReply {
        self.0.fetch_add(1, Ordering::SeqCst);
        ServerReply(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// One relayed reply, counted while it lives.
#[derive(Debug)]
pub struct ServerReply(Arc<AtomicUsize>);

impl Drop for ServerReply {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What is going on now. Fails (and so refuses the install) when the
/// pending checkouts cannot be read, e.g. the server is unreachable.
pub async fn current(core: &Core, relayed: &ServerReplies) -> Result<InstallBlockers, ApiError> {
    let checkouts = match hosted::signed_in(core).await? {
        Some(client) => client.pending_checkouts().await?.len(),
        None => core.billing().pending().await?.len(),
    };
    let replies = core.chat_engine().streaming_replies() + relayed.count();
    Ok(InstallBlockers::new(replies, checkouts))
}
