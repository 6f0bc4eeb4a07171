//! An empty Tauri 2 window showing one line of text: the floor `make
//! bench-app` measures Banter against (tests/e2e/bench_app.py). It does
//! nothing Banter's shell does — no core, plugins, tray or commands — and
//! keeps the one setting that changes what WebKit costs, so the two are
//! compared on equal terms.

// No console window next to the app on Windows release builds, as Banter.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Exactly as Banter's `main.rs`: WebKitGTK without GPU compositing
    // unless the user chose otherwise, set before any thread exists.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    if let Err(error) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("the floor app stopped with an error: {error}");
        std::process::exit(1);
    }
}
