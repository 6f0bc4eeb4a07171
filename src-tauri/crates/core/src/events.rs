//! Domain events the core broadcasts after a change commits. The desktop shell
//! forwards them to every window; the CLI takes its own send's reply events
//! straight from the send (see `chat::ReplyListener`).

use crate::chat::MessageStatus;
use crate::error::ErrorCode;
use crate::providers::TokenUsage;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it misses some.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    /// The balance changed (spend, refund, reset, purchase).
    CreditsChanged { remaining: i64, total: i64 },
    /// A change took the balance below
    /// [`crate::ledger::LOW_BALANCE_THRESHOLD`] (see [`crate::ledger::crossed_low`]).
    CreditsLow { remaining: i64 },
    /// An assistant reply was opened (empty, `streaming`).
    #[serde(rename_all = "camelCase")]
    ReplyStarted { session_id: i64, message_id: i64 },
    /// More reply text, batched (see [`crate::chat::BATCH_INTERVAL`] and
    /// [`crate::chat::BATCH_TOKENS`]).
    #[serde(rename_all = "camelCase")]
    ReplyDelta {
        session_id: i64,
        message_id: i64,
        delta: String,
    },
    /// The provider's token counts for the reply.
    #[serde(rename_all = "camelCase")]
    ReplyUsage {
        session_id: i64,
        message_id: i64,
        usage: TokenUsage,
    },
    /// The reply ended with text: complete, stopped, filtered or cut short.
    #[serde(rename_all = "camelCase")]
    ReplyFinished {
        session_id: i64,
        message_id: i64,
        status: MessageStatus,
        tokens: i64,
    },
    /// The reply failed before any text; `refunded` says the send was refunded.
    #[serde(rename_all = "camelCase")]
    ReplyFailed {
        session_id: i64,
        message_id: i64,
        code: ErrorCode,
        message: String,
        refunded: bool,
    },
    /// A purchase Autumn reported as paid was fulfilled (credits added, or
    /// Pro switched on when `credits` is `None`).
    PurchaseFulfilled {
        product: String,
        credits: Option<i64>,
    },
    /// Signed in, the server answered (`true`) or could not be reached
    /// (`false`) where the last call found it otherwise: offline, history
    /// is read from this computer's copy (see `hosted::HostedHistory`).
    ServerReachable { reachable: bool },
    /// Signed in, changes made elsewhere (another device, the CLI) reached
    /// this computer's copy: `sessions` changed or went, and `projects`
    /// says whether projects or tasks did; `refused` tells the edits made
    /// here offline that the server refused (see
    /// `hosted::HostedAccounts::follow` and `hosted::outbox`).
    Synced {
        sessions: Vec<i64>,
        projects: bool,
        refused: Vec<String>,
    },
}

impl DomainEvent {
    /// The chat session a reply event belongs to; `None` for account events.
    pub fn session_id(&self) -> Option<i64> {
        match self {
            Self::ReplyStarted { session_id, .. }
            | Self::ReplyDelta { session_id, .. }
            | Self::ReplyUsage { session_id, .. }
            | Self::ReplyFinished { session_id, .. }
            | Self::ReplyFailed { session_id, .. } => Some(*session_id),
            Self::CreditsChanged { .. }
            | Self::CreditsLow { .. }
            | Self::PurchaseFulfilled { .. }
            | Self::ServerReachable { .. }
            | Self::Synced { .. } => None,
        }
    }
}

/// An event as the bus carries it.
#[derive(Debug, Clone)]
pub struct Published {
    pub event: DomainEvent,
    /// Set when the event was also handed straight to the listener that
    /// asked for it (see `chat::ReplyListener`), naming that listener: a
    /// relay of the bus skips it, so it receives each event once.
    pub delivered_to: Option<Arc<str>>,
}

/// A cheap-to-clone broadcast sender; sending with no subscriber is fine.
#[derive(Debug, Clone)]
pub struct EventBus(broadcast::Sender<Published>);

impl Default for EventBus {
    fn default() -> Self {
        Self(broadcast::channel(CAPACITY).0)
    }
}

impl EventBus {
    pub fn emit(&self, event: DomainEvent) {
        self.publish(event, None);
    }

    /// Emits `event`, noting that `delivered_to` already has it.
    pub(crate) fn publish(&self, event: DomainEvent, delivered_to: Option<Arc<str>>) {
        // An error only means nobody is listening right now.
        let _ = self.0.send(Published {
            event,
            delivered_to,
        });
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription(self.0.subscribe())
    }

    /// Every event from now on, with whom it was delivered to directly.
    pub fn subscribe_published(&self) -> broadcast::Receiver<Published> {
        self.0.subscribe()
    }
}

/// A subscriber's view of the bus: just the events.
#[derive(Debug)]
pub struct Subscription(broadcast::Receiver<Published>);

impl Subscription {
    pub async fn recv(&mut self) -> Result<DomainEvent, broadcast::error::RecvError> {
        self.0.recv().await.map(|p| p.event)
    }

    pub fn try_recv(&mut self) -> Result<DomainEvent, broadcast::error::TryRecvError> {
        self.0.try_recv().map(|p| p.event)
    }
}
