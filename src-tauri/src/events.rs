//! Events the shell sends to the web UI.

use banter_core::events::DomainEvent;
use banter_core::Core;
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
