//! Domain events the core broadcasts after a change commits. The desktop shell
//! forwards them to every window; the CLI ignores them.

use crate::chat::MessageStatus;
use crate::error::ErrorCode;
use crate::providers::TokenUsage;
use serde::Serialize;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it misses some.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    /// The balance changed (spend, refund, reset, purchase).
    CreditsChanged { remaining: i64, total: i64 },
    /// A change took the balance from 20 or more to below 20.
    CreditsLow { remaining: i64 },
    /// An assistant reply was opened (empty, `streaming`).
    #[serde(rename_all = "camelCase")]
    ReplyStarted { session_id: i64, message_id: i64 },
    /// More reply text, batched (at most every 50 ms or 10 tokens).
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
}

/// A cheap-to-clone broadcast sender; sending with no subscriber is fine.
#[derive(Debug, Clone)]
pub struct EventBus(broadcast::Sender<DomainEvent>);

impl Default for EventBus {
    fn default() -> Self {
        Self(broadcast::channel(CAPACITY).0)
    }
}

impl EventBus {
    pub fn emit(&self, event: DomainEvent) {
        // An error only means nobody is listening right now.
        let _ = self.0.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.0.subscribe()
    }
}
