//! The Banter desktop shell: a thin Tauri layer over `banter-core`.
//!
//! It opens the core, exposes typed commands (see `bindings.rs`), and
//! forwards the core's events to every window. Business rules live in the
//! core, never here.

mod bindings;
mod commands;
mod events;
mod state;

use tauri::Manager;

/// Builds and runs the app until the last window closes.
pub fn run() {
    init_logging();
    let specta = bindings::builder();
    let result = tauri::Builder::default()
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            specta.mount_events(app);
            let core = state::AppCore::open();
            if let Ok(core) = core.get() {
                events::forward(app.handle().clone(), core);
            }
            app.manage(core);
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "Banter stopped with an error");
        std::process::exit(1);
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
