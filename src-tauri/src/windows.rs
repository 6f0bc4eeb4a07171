//! The two windows: `main`, and `quick-chat` (small, always on top, hidden
//! until asked for). Both are declared in `tauri.conf.json`; the window-state
//! plugin remembers their size and position.

use tauri::{AppHandle, Manager, WebviewWindow, WindowEvent};

pub const MAIN: &str = "main";
pub const QUICK_CHAT: &str = "quick-chat";

/// Shows and focuses the main window.
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        reveal(&window);
    }
}

/// Shows the quick-chat window, or hides it if it is already in front.
pub fn toggle_quick_chat(app: &AppHandle) {
    let Some(window) = app.get_webview_window(QUICK_CHAT) else {
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
