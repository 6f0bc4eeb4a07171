//! The tray icon and its menu: Quick chat, Open Banter, New chat, Quit.

use crate::events::NewChatRequested;
use crate::windows;
use tauri::menu::MenuBuilder;
use tauri::tray::TrayIconBuilder;
use tauri::{App, AppHandle};
use tauri_specta::Event;

pub fn create(app: &App) -> tauri::Result<()> {
    let menu = MenuBuilder::new(app)
        .text("quick-chat", "Quick chat")
        .text("open", "Open Banter")
        .text("new-chat", "New chat")
        .separator()
        .text("quit", "Quit Banter")
        .build()?;
    let mut tray = TrayIconBuilder::with_id("banter")
        .tooltip("Banter")
        .menu(&menu)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        "quick-chat" => windows::toggle_quick_chat(app),
        "open" => windows::show_main(app),
        "new-chat" => {
            windows::show_main(app);
            if let Err(error) = NewChatRequested.emit(app) {
                tracing::warn!(%error, "could not ask the window for a new chat");
            }
        }
        "quit" => app.exit(0),
        _ => {}
    }
}
