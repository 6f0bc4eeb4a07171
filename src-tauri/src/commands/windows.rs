//! Window actions the main window may ask for.

use crate::windows;
use tauri::AppHandle;

/// Shows the quick-chat window (the same as the tray item and the shortcut).
#[tauri::command]
#[specta::specta]
pub fn open_quick_chat(app: AppHandle) {
    windows::show_quick_chat(&app);
}
