//! The Banter desktop shell: a thin Tauri layer over `banter-core`.
//!
//! It opens the core, exposes typed commands (see `bindings.rs`), and
//! forwards the core's events to every window. Business rules live in the
//! core, never here.

#[macro_use]
mod command_list;
mod bindings;
#[cfg(test)]
mod command_list_check;
mod commands;
mod deep_link;
mod deep_link_registration;
mod events;
mod hosted;
mod navigation;
mod shortcut;
mod state;
mod tray;
mod updates;
mod window_scope;
mod windows;

use anyhow::Context;
use tauri::Manager;
use tauri_plugin_window_state::StateFlags;

/// Builds and runs the app until the last window closes. An error here is
/// the binary's edge: `main` reports it (with this context) and exits 1.
pub fn run() -> anyhow::Result<()> {
    init_logging();
    let specta = bindings::builder();
    tauri::Builder::default()
        // First, so a second launch (e.g. with a banter:// link) hands its
        // arguments to this instance and exits; the deep-link feature turns
        // a forwarded link into an `on_open_url` event here.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            windows::show_main(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(navigation::guard())
        .plugin(shortcut::plugin())
        .plugin(
            // Size and position, but never "visible": quick chat starts hidden.
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::all() - StateFlags::VISIBLE)
                .build(),
        )
        .plugin(tauri_plugin_opener::init())
        // Signed updates (`updates/`): no window is granted the plugin's own
        // commands; the app's (`commands/updates.rs`) ask, with its transport
        // rule first and the install guard.
        .plugin(tauri_plugin_updater::Builder::new().build())
        // Per-device UI preferences (ui/src/lib/preferences.svelte.ts); account
        // data stays in the core's database.
        .plugin(tauri_plugin_store::Builder::default().build())
        .invoke_handler(specta.invoke_handler())
        .on_window_event(windows::on_window_event)
        .setup(move |app| {
            specta.mount_events(app);
            let core = state::AppCore::open();
            if let Ok(core) = core.get() {
                events::forward(app.handle().clone(), core);
                // Signed in, changes made on other devices come into this
                // computer's copy while the app runs (announced as `synced`).
                tauri::async_runtime::spawn(core.hosted().clone().follow());
                let saved = tauri::async_runtime::block_on(core.settings().quick_chat_shortcut());
                match saved {
                    Ok(shortcut) => shortcut::register_saved(app.handle(), &shortcut),
                    Err(error) => {
                        tracing::warn!(code = %error.code(), "quick-chat shortcut unreadable")
                    }
                }
            }
            app.manage(core);
            app.manage(window_scope::QuickChatSessions::default());
            app.manage(updates::ServerReplies::default());
            deep_link::setup(app);
            if let Err(error) = tray::create(app) {
                tracing::warn!(%error, "no tray icon (the desktop has no tray)");
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .inspect_err(|error| tracing::error!(%error, "Banter stopped with an error"))
        .context("running the Banter app")
}

/// Logs to stderr; `RUST_LOG` overrides the default level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
