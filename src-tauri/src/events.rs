//! Events the shell sends to the web UI.

use banter_core::billing::ReconcileReport;
use banter_core::events::DomainEvent;
use banter_core::{ApiError, Core};
use serde::Serialize;
use tauri::AppHandle;
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;

/// A domain event from the core (credits changed, credits low, reply text…),
/// sent to every window so they stay in sync.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct CoreEvent(pub DomainEvent);

/// The tray's "New chat": the main window opens an empty chat.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct NewChatRequested;

/// What became of a `banter://purchase/…` return: the UI shows a
/// "checking your purchase" state, then the outcome.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseCheck {
    pub state: PurchaseCheckState,
    pub report: Option<ReconcileReport>,
    pub error: Option<ApiError>,
}

#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseCheckState {
    Checking,
    Done,
    Failed,
}

impl PurchaseCheck {
    pub fn checking() -> Self {
        Self {
            state: PurchaseCheckState::Checking,
            report: None,
            error: None,
        }
    }

    pub fn done(report: ReconcileReport) -> Self {
        Self {
            state: PurchaseCheckState::Done,
            report: Some(report),
            error: None,
        }
    }

    pub fn failed(error: ApiError) -> Self {
        Self {
            state: PurchaseCheckState::Failed,
            report: None,
            error: Some(error),
        }
    }
}

/// Relays every core event to all windows until the app exits.
pub fn forward(app: AppHandle, core: &Core) {
    let mut events = core.events().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(error) = CoreEvent(event).emit(&app) {
                        tracing::warn!(%error, "could not forward a core event");
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "UI fell behind core events")
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}
