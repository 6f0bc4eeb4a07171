//! Typed commands the web UI calls through the generated `ui/src/bindings.ts`.
//! Each one forwards to the core and turns its error into an `ApiError`.
//! Which window may call which command is set in `src-tauri/capabilities/`.

pub mod account;
pub mod chat;
pub mod chat_settings;
pub mod credits;
pub mod import;
pub mod links;
pub mod models;
pub mod projects;
pub mod purchases;
pub mod sessions;
pub mod settings;
pub mod updates;
pub mod windows;
