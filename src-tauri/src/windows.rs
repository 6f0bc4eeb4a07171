//! The two windows: `main` (declared in `tauri.conf.json`) and `quick-chat`
//! (small, always on top), which is only created the first time it is asked
//! for: a webview costs ~90 MB, too much to keep for a window that may never
//! open. Closing it hides it. The window-state plugin remembers the size and
//! position of both.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder, WindowEvent};

pub const MAIN: &str = "main";
pub const QUICK_CHAT: &str = "quick-chat";

/// A screen of the main window another window may open there
/// (`show_main_screen`). A closed set, not a route: the asking window names
/// a screen, never an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum MainScreen {
    /// The products and prices ("Buy more" in quick chat).
    Pricing,
}

/// Shows and focuses the main window.
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        reveal(&window);
    }
}

/// Shows the quick-chat window (the tray item, the shortcut), or hides it if
/// it is already in front.
pub fn toggle_quick_chat(app: &AppHandle) {
    let Some(window) = quick_chat(app) else {
        return;
    };
    let in_front = window.is_visible().unwrap_or(false) && window.is_focused().unwrap_or(false);
    if in_front {
        if let Err(error) = window.hide() {
            tracing::warn!(%error, "could not hide quick chat");
        }
    } else {
        reveal(&window);
    }
}

/// Shows and focuses the quick-chat window.
pub fn show_quick_chat(app: &AppHandle) {
    if let Some(window) = quick_chat(app) {
        reveal(&window);
    }
}

/// The quick-chat window, created the first time it is needed.
fn quick_chat(app: &AppHandle) -> Option<WebviewWindow> {
    if let Some(window) = app.get_webview_window(QUICK_CHAT) {
        return Some(window);
    }
    create_quick_chat(app)
        .map_err(|error| tracing::warn!(%error, "could not open quick chat"))
        .ok()
}

fn create_quick_chat(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    WebviewWindowBuilder::new(
        app,
        QUICK_CHAT,
        WebviewUrl::App("index.html?window=quick".into()),
    )
    .title("Banter quick chat")
    .inner_size(420.0, 560.0)
    .min_inner_size(320.0, 360.0)
    .always_on_top(true)
    .skip_taskbar(true)
    .center()
    .visible(false)
    // `window.open` never opens a page in a new app window (navigation.rs
    // covers navigations; this covers new windows).
    .on_new_window(|_url, _features| tauri::webview::NewWindowResponse::Deny)
    .build()
}

fn reveal(window: &WebviewWindow) {
    let shown = window
        .show()
        .and_then(|()| window.unminimize())
        .and_then(|()| window.set_focus());
    if let Err(error) = shown {
        tracing::warn!(label = window.label(), %error, "could not show a window");
    }
}

/// Closing quick chat only hides it; closing the main window quits, so a
/// hidden quick-chat window never keeps Banter running.
pub fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        match window.label() {
            QUICK_CHAT => {
                api.prevent_close();
                if let Err(error) = window.hide() {
                    tracing::warn!(%error, "could not hide quick chat");
                }
            }
            MAIN => window.app_handle().exit(0),
            _ => {}
        }
    }
}
