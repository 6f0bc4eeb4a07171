// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> anyhow::Result<()> {
    // WebKitGTK: render without GPU compositing layers unless the user chose
    // otherwise. A chat window gains nothing from them, and they cost ~80 MB
    // in the web process (measured, docs/benchmarks.md). Set before any
    // thread exists, as environment changes must be.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    banter_app::run()
}
