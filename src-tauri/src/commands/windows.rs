//! Window actions the main window may ask for.

use crate::windows;
use tauri::AppHandle;

/// Shows the quick-chat window (the same as the tray item and the shortcut).
/// Async so it runs off the main thread: creating a window from a
/// synchronous command (which runs on the main thread) can deadlock.
#[tauri::command]
#[specta::specta]
pub async fn open_quick_chat(app: AppHandle) {
    windows::show_quick_chat(&app);
}
