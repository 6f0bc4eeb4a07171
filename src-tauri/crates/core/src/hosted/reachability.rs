//! Whether the signed-in device's server answers: every call through
//! [`super::HostedClient`] notes how it went, and a change is announced to
//! every window as [`DomainEvent::ServerReachable`] (offline, the history
//! shown is this computer's copy and paid actions are refused).

use super::error::HostedError;
use crate::events::{DomainEvent, EventBus};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// Whether the server answered the last call, shared by a profile's
/// histories so a change is announced once.
#[derive(Debug, Clone)]
pub(crate) struct Reachability {
    /// [`UNKNOWN`], [`REACHABLE`] or [`UNREACHABLE`].
    state: Arc<AtomicU8>,
    events: EventBus,
}

const UNKNOWN: u8 = 0;
const REACHABLE: u8 = 1;
const UNREACHABLE: u8 = 2;

impl Reachability {
    pub(crate) fn new(events: EventBus) -> Self {
        Self {
            state: Arc::new(AtomicU8::new(UNKNOWN)),
            events,
        }
    }

    /// Notes how a call to the server went: a change from the last call is
    /// announced. Refusals of the server mean it was reached.
    pub(super) fn note<T>(&self, result: &std::result::Result<T, HostedError>) {
        let reachable = !matches!(result, Err(HostedError::Offline { .. }));
        let state = if reachable { REACHABLE } else { UNREACHABLE };
        if self.state.swap(state, Ordering::SeqCst) != state {
            self.events.emit(DomainEvent::ServerReachable { reachable });
        }
    }

    /// Tells every window `event` (what the hosted history has to say that
    /// is not a reply's: edits the server refused).
    pub(super) fn announce(&self, event: DomainEvent) {
        self.events.emit(event);
    }
}
