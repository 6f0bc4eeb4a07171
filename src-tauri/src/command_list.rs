// The one list of the shell's commands, by the module of `commands/` that
// holds each. Three things are generated from it, so they cannot disagree:
// the typed bindings and invoke handler (`bindings.rs`), the permissions
// tauri-build makes for every command (`build.rs` includes this file), and
// [`COMMAND_NAMES`]. What is kept by hand elsewhere (the capability files,
// `ui/src/lib/api.ts`, the browser tests' fake core) is checked against it by
// `command_list_check.rs`, which names the file that drifted.
//
// Plain `//` comments: `build.rs` includes this file, where inner doc
// comments are not allowed.

/// Calls `$then! { module: [command, …], … }` with every command.
macro_rules! app_commands {
    ($then:ident) => {
        $then! {
            account: [
                account_status,
                begin_sign_in,
                cancel_sign_in,
                list_devices,
                sign_out,
                sign_out_other_devices,
            ],
            import: [import_status, import_local_history, remove_imported_history],
            credits: [get_credits, get_costs, ledger_history],
            sessions: [
                list_sessions,
                get_session,
                rename_session,
                switch_branch,
                delete_session,
                list_messages,
                get_attachment,
                search_messages,
                save_export,
            ],
            chat: [send_message, stop_reply, regenerate_reply, new_idempotency_key],
            chat_settings: [set_session_settings, list_personas, save_persona, delete_persona],
            settings: [
                get_provider_settings,
                save_provider_settings,
                test_connection,
                get_shortcut,
                set_shortcut,
            ],
            models: [
                list_models,
                configured_models,
                save_model,
                delete_model,
                set_default_model,
            ],
            links: [open_link],
            windows: [open_quick_chat, show_main_screen],
            purchases: [list_products, purchase_status, start_checkout, sync_purchases],
            projects: [
                list_projects,
                get_project,
                create_project,
                update_project,
                set_project_archived,
                list_tasks,
                add_task,
                update_task,
                delete_task,
                generate_project,
                scrape_url,
            ],
            updates: [check_for_update, update_blockers, install_update],
        }
    };
}

/// The names of the commands given to it, as a `&[&str]`.
macro_rules! command_names {
    ($($module:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
        &[$($(stringify!($name)),*),*]
    };
}

/// Every command's name, as IPC and the capability files spell it.
#[cfg_attr(not(test), allow(dead_code))] // the app reads it only in the drift check
pub const COMMAND_NAMES: &[&str] = app_commands!(command_names);
