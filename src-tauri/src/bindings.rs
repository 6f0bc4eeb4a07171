//! The one list of commands and events the UI may use, and the TypeScript
//! bindings generated from it (`ui/src/bindings.ts`, checked in).
//! Regenerate with `make bindings`; a test fails when the file is stale.

use crate::{commands, events};

pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            commands::credits::get_credits,
            commands::credits::get_costs,
            commands::credits::ledger_history,
            commands::sessions::list_sessions,
            commands::sessions::create_session,
            commands::sessions::rename_session,
            commands::sessions::delete_session,
            commands::sessions::list_messages,
            commands::sessions::search_messages,
            commands::sessions::export_session,
            commands::sessions::save_export,
            commands::chat::send_message,
            commands::chat::stop_reply,
            commands::chat::regenerate_reply,
            commands::settings::get_provider_settings,
            commands::settings::save_provider_settings,
            commands::settings::test_connection,
            commands::settings::get_shortcut,
            commands::settings::set_shortcut,
            commands::links::open_link,
            commands::windows::open_quick_chat,
            commands::purchases::list_products,
            commands::purchases::purchase_status,
            commands::purchases::start_checkout,
            commands::purchases::sync_purchases,
            commands::projects::list_projects,
            commands::projects::get_project,
            commands::projects::create_project,
            commands::projects::update_project,
            commands::projects::set_project_archived,
            commands::projects::list_tasks,
            commands::projects::add_task,
            commands::projects::update_task,
            commands::projects::delete_task,
            commands::projects::generate_project,
            commands::projects::scrape_url,
        ])
        .events(tauri_specta::collect_events![
            events::CoreEvent,
            events::NewChatRequested,
            events::PurchaseCheck
        ])
        // Row ids and credit amounts are far below 2^53.
        .dangerously_cast_bigints_to_number()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The committed bindings, relative to the workspace root.
    const BINDINGS_PATH: &str = "ui/src/bindings.ts";

    fn typescript() -> specta_typescript::Typescript {
        specta_typescript::Typescript::default()
    }

    /// Fails when `ui/src/bindings.ts` differs from what the Rust side
    /// generates; `UPDATE_BINDINGS=1` rewrites it instead.
    #[test]
    fn bindings_are_fresh() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_PATH);
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            builder()
                .export(typescript(), &committed)
                .expect("write bindings");
            return;
        }
        let fresh = tempfile_path();
        builder()
            .export(typescript(), &fresh)
            .expect("export bindings");
        let generated = std::fs::read_to_string(&fresh).expect("read generated bindings");
        let _ = std::fs::remove_file(&fresh);
        let on_disk = std::fs::read_to_string(&committed).unwrap_or_default();
        assert!(
            generated == on_disk,
            "{BINDINGS_PATH} is stale: run `make bindings` and commit the result"
        );
    }

    fn tempfile_path() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("banter-bindings-{}.ts", std::process::id()))
    }
}
