//! Events the shell sends to the web UI.

use crate::windows::MainScreen;
use banter_core::billing::ReconcileReport;
use banter_core::events::{DomainEvent, Published};
use banter_core::hosted::HostedAccount;
use banter_core::{ApiError, Core};
use serde::Serialize;
use tauri::{AppHandle, EventTarget, Manager};
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;

/// A domain event from the core (credits changed, credits low, reply text…),
/// sent to every window so they stay in sync.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct CoreEvent(pub DomainEvent);

/// The tray's "New chat": the main window opens an empty chat.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct NewChatRequested;

/// Another window asked the main window to open a screen (`show_main_screen`).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct MainScreenRequested {
    pub screen: MainScreen,
}

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

/// The sign-in changed: signed in (`account`), signed out (neither), or a
/// sign-in through the browser failed (`error`; nothing changed).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct AccountChanged {
    pub account: Option<HostedAccount>,
    pub error: Option<ApiError>,
}

impl AccountChanged {
    /// Tells every window, after forgetting the quick chat's sessions (their
    /// ids named the other store's).
    pub fn announce(self, app: &AppHandle) {
        if self.error.is_none() {
            app.state::<crate::window_scope::QuickChatSessions>()
                .clear();
        }
        if let Err(error) = tauri_specta::Event::emit(&self, app) {
            tracing::warn!(%error, "could not announce the sign-in change");
        }
    }

    pub fn signed_in(account: HostedAccount) -> Self {
        Self {
            account: Some(account),
            error: None,
        }
    }

    pub fn signed_out() -> Self {
        Self {
            account: None,
            error: None,
        }
    }

    pub fn failed(error: ApiError) -> Self {
        Self {
            account: None,
            error: Some(error),
        }
    }
}

/// Relays every core event to all windows until the app exits, except to
/// the window that already received it over its own channel (the one that
/// sent the message a reply event belongs to).
pub fn forward(app: AppHandle, core: &Core) {
    let mut events = core.events().subscribe_published();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(Published {
                    event,
                    delivered_to,
                }) => {
                    let sent = match delivered_to {
                        None => CoreEvent(event).emit(&app),
                        Some(window) => CoreEvent(event)
                            .emit_filter(&app, |target| not_delivered_to(target, &window)),
                    };
                    if let Err(error) = sent {
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

/// False for a listener of the window `window` (the UI listens per window,
/// see `onCoreEvent` in ui/src/lib/api.ts), true for every other one.
fn not_delivered_to(target: &EventTarget, window: &str) -> bool {
    !matches!(
        target,
        EventTarget::WebviewWindow { label }
            | EventTarget::Window { label }
            | EventTarget::Webview { label } if label == window
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_event_skips_only_the_window_that_has_it() {
        let window = |label: &str| EventTarget::WebviewWindow {
            label: label.into(),
        };
        assert!(!not_delivered_to(&window("main"), "main"));
        assert!(not_delivered_to(&window("quick-chat"), "main"));
        assert!(!not_delivered_to(
            &EventTarget::Window {
                label: "main".into()
            },
            "main"
        ));
        assert!(not_delivered_to(&EventTarget::App, "main"));
    }
}
