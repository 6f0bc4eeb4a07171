//! The commands (from `command_list.rs`) and events the UI may use, and the
//! TypeScript bindings generated from them (`ui/src/bindings.ts`, checked in).
//! Regenerate with `make bindings`; a test fails when the file is stale.

use crate::{commands, events};

/// The specta collection of every command in `command_list.rs`.
macro_rules! specta_commands {
    ($($module:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
        tauri_specta::collect_commands![$($(commands::$module::$name),*),*]
    };
}

pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(app_commands!(specta_commands))
        .events(tauri_specta::collect_events![
            events::CoreEvent,
            events::NewChatRequested,
            events::MainScreenRequested,
            events::PurchaseCheck,
            events::AccountChanged
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
