//! Window actions: showing the quick-chat window, and the main window on one
//! of its screens for a window that has no screens of its own.

use crate::events::MainScreenRequested;
use crate::windows::{self, MainScreen};
use tauri::AppHandle;
use tauri_specta::Event;

/// Shows the quick-chat window (the same as the tray item and the shortcut).
/// Async so it runs off the main thread: creating a window from a
/// synchronous command (which runs on the main thread) can deadlock.
#[tauri::command]
#[specta::specta]
pub async fn open_quick_chat(app: AppHandle) {
    windows::show_quick_chat(&app);
}

/// Shows and focuses the main window and asks it to open `screen`: quick
/// chat's "Buy more" opens Pricing there.
#[tauri::command]
#[specta::specta]
pub async fn show_main_screen(app: AppHandle, screen: MainScreen) {
    windows::show_main(&app);
    if let Err(error) = (MainScreenRequested { screen }).emit(&app) {
        tracing::warn!(%error, "could not ask the main window for a screen");
    }
}
