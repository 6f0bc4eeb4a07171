//! Tauri's build step: embeds tauri.conf.json, compiles the capability files
//! in src-tauri/capabilities/, and declares the app's own commands so each
//! window may call only those its capability allows.

/// Every `#[tauri::command]` of the shell; keep in step with `bindings.rs`.
const COMMANDS: &[&str] = &[
    "get_credits",
    "get_costs",
    "ledger_history",
    "list_sessions",
    "create_session",
    "rename_session",
    "delete_session",
    "list_messages",
    "search_messages",
    "export_session",
    "save_export",
    "send_message",
    "stop_reply",
    "regenerate_reply",
    "get_provider_settings",
    "save_provider_settings",
    "test_connection",
    "get_shortcut",
    "set_shortcut",
    "open_link",
    "open_quick_chat",
    "list_products",
    "purchase_status",
    "start_checkout",
    "sync_purchases",
    "list_projects",
    "get_project",
    "create_project",
    "update_project",
    "set_project_archived",
    "list_tasks",
    "add_task",
    "update_task",
    "delete_task",
    "generate_project",
    "scrape_url",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        eprintln!("tauri build step failed: {error:#}");
        std::process::exit(1);
    }
}
