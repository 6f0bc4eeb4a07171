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
use std::time::Instant;
use tauri::Manager;
use tauri_plugin_window_state::StateFlags;

/// Builds and runs the app until the last window closes. An error here is
/// the binary's edge: `main` reports it (with this context) and exits 1.
pub fn run() -> anyhow::Result<()> {
    init_logging();
    // Where start-up's time goes, logged at each step: read beside `make
    // bench-app`'s figures to split the first paint (docs/benchmarks.md).
    let started = Instant::now();
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
        // The main window (tauri.conf.json) already exists, but nothing of it
        // is drawn until this returns: the main thread serves the page. So
        // only cheap, synchronous set-up runs here; the core opens on the
        // async runtime meanwhile (`state.rs`), and what needs it follows.
        .setup(move |app| {
            tracing::info!(
                since_start_ms = started.elapsed().as_millis(),
                "set-up begins"
            );
            specta.mount_events(app);
            app.manage(state::AppCore::new(app.handle().clone()));
            let shortcut_changes = shortcut::Changes::default();
            let first_turn = shortcut_changes.first_turn();
            app.manage(shortcut_changes);
            tauri::async_runtime::spawn(start_with_core(app.handle().clone(), first_turn));
            app.manage(window_scope::QuickChatSessions::default());
            app.manage(updates::ServerReplies::default());
            deep_link::setup(app);
            let tray_started = Instant::now();
            if let Err(error) = tray::create(app) {
                tracing::warn!(%error, "no tray icon (the desktop has no tray)");
            }
            tracing::info!(
                since_start_ms = started.elapsed().as_millis(),
                tray_ms = tray_started.elapsed().as_millis(),
                "set-up done"
            );
            Ok(())
        })
        .on_page_load(move |webview, payload| {
            tracing::info!(
                window = webview.label(),
                event = ?payload.event(),
                since_start_ms = started.elapsed().as_millis(),
                "page load"
            );
        })
        .run(tauri::generate_context!())
        .inspect_err(|error| tracing::error!(%error, "Banter stopped with an error"))
        .context("running the Banter app")
}

/// Opens the core, then starts what needs it: signed-in changes from other
/// devices come in (announced as `synced`), and the saved quick-chat
/// shortcut is registered.
///
/// `shortcut_turn` is held until the saved shortcut is registered, so a new
/// one chosen meanwhile replaces it instead of joining it.
async fn start_with_core(
    app: tauri::AppHandle,
    shortcut_turn: Option<tokio::sync::OwnedMutexGuard<()>>,
) {
    let _turn = shortcut_turn;
    let state = app.state::<state::AppCore>();
    let Ok(core) = state.get().await else { return };
    tauri::async_runtime::spawn(core.hosted().clone().follow());
    match core.settings().quick_chat_shortcut().await {
        Ok(shortcut) => shortcut::register_saved(&app, &shortcut),
        Err(error) => tracing::warn!(code = %error.code(), "quick-chat shortcut unreadable"),
    }
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
