//! Tauri's build step: embeds tauri.conf.json, compiles the capability files
//! in src-tauri/capabilities/, and declares the app's own commands so each
//! window may call only those its capability allows.

// `COMMAND_NAMES`: every `#[tauri::command]` of the shell, from the one list.
include!("src/command_list.rs");

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMAND_NAMES));
    if let Err(error) = tauri_build::try_build(attributes) {
        eprintln!("tauri build step failed: {error:#}");
        std::process::exit(1);
    }
}
