//! The global shortcut that shows quick chat, saved in the core's settings.

use crate::windows;
use banter_core::{ApiError, ErrorCode};
use tauri::AppHandle;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

/// The plugin, calling quick chat on every press of a registered shortcut
/// (ours is the only one).
pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _shortcut, event| {
            if event.state == ShortcutState::Pressed {
                windows::toggle_quick_chat(app);
            }
        })
        .build()
}

/// One change of the registered shortcut at a time (app state): the saved
/// one is registered once the core opens, and a change asked for meanwhile
/// must come after it, or both would stay registered.
#[derive(Debug, Default)]
pub struct Changes(std::sync::Arc<tokio::sync::Mutex<()>>);

impl Changes {
    /// Waits for the changes before this one; hold the guard throughout.
    pub async fn turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.0.clone().lock_owned().await
    }

    /// The first turn, taken before anything else can ask (at set-up).
    pub fn first_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        self.0.clone().try_lock_owned().ok()
    }
}

/// Registers the saved shortcut at start-up; a failure (taken by another
/// app, no display) is logged, and the tray still opens quick chat.
pub fn register_saved(app: &AppHandle, shortcut: &str) {
    if let Err(error) = app.global_shortcut().register(shortcut) {
        tracing::warn!(shortcut, %error, "could not register the quick-chat shortcut");
    }
}

/// Moves quick chat from `old` to `new`; on failure `old` stays in force.
pub fn replace(app: &AppHandle, old: &str, new: &str) -> Result<(), ApiError> {
    let parsed: Shortcut = new.parse().map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("{new:?} is not a shortcut: {e}"),
        )
    })?;
    let shortcuts = app.global_shortcut();
    if let Err(error) = shortcuts.unregister(old) {
        tracing::debug!(%error, "the old shortcut was not registered");
    }
    shortcuts.register(parsed).map_err(|e| {
        let _ = shortcuts.register(old);
        ApiError::new(
            ErrorCode::ShortcutUnavailable,
            format!("{new} could not be registered ({e}); another app may use it"),
        )
    })
}
