//! Who hears a send's reply events, and how each hears it once.
//!
//! Every reply event goes on the core's bus, where any window or process
//! watching the session sees it. The caller that asked for the reply (the
//! window that sent, the CLI) usually wants them directly, in order and
//! without the bus's risk of lagging behind: a [`ReplyListener`] gets them
//! straight from the send, and the bus copy is marked as delivered to it, so
//! a relay of the bus (the desktop shell's) skips that caller.

use crate::events::{DomainEvent, EventBus};
use std::fmt;
use std::sync::Arc;

type Deliver = dyn Fn(DomainEvent) + Send + Sync;

/// The caller of a send or regeneration, when it wants the reply's events.
#[derive(Clone, Default)]
pub struct ReplyListener {
    name: Option<Arc<str>>,
    deliver: Option<Arc<Deliver>>,
}

impl ReplyListener {
    /// Nobody in particular: the events go on the bus only.
    pub fn none() -> Self {
        Self::default()
    }

    /// `deliver` receives each of the send's reply events once, in order, as
    /// they happen; `name` (a window label, say) marks the bus copies so a
    /// relay of the bus can skip this listener.
    pub fn new(name: &str, deliver: impl Fn(DomainEvent) + Send + Sync + 'static) -> Self {
        Self {
            name: Some(Arc::from(name)),
            deliver: Some(Arc::new(deliver)),
        }
    }
}

impl ReplyListener {
    /// Announces each event as a local reply's are: to this listener, then
    /// on `bus` marked as delivered to it. For a reply that streams from
    /// elsewhere (the server, in hosted mode), so every window hears it once.
    pub fn relay_through(self, bus: EventBus) -> impl FnMut(DomainEvent) + Send {
        let announce = Announcer::new(bus, self);
        move |event| announce.emit(event)
    }
}

impl fmt::Debug for ReplyListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyListener")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Announces one send's reply events: to its listener, then on the bus.
#[derive(Debug, Clone)]
pub(crate) struct Announcer {
    bus: EventBus,
    listener: ReplyListener,
}

impl Announcer {
    pub(crate) fn new(bus: EventBus, listener: ReplyListener) -> Self {
        Self { bus, listener }
    }

    pub(crate) fn emit(&self, event: DomainEvent) {
        if let Some(deliver) = &self.listener.deliver {
            deliver(event.clone());
        }
        self.bus.publish(event, self.listener.name.clone());
    }
}
