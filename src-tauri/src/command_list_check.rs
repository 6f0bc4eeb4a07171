//! Checks every hand-kept list of commands against the one in
//! `command_list.rs`: the specta builder, the capability files, the UI's
//! `api.ts` and the browser tests' fake core. Each failure names the file
//! that drifted and the command.

use crate::bindings::builder;
use crate::command_list::COMMAND_NAMES;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const LIST: &str = "src-tauri/src/command_list.rs";
const CAPABILITIES: &str = "src-tauri/capabilities";
const API_TS: &str = "ui/src/lib/api.ts";
const FAKE_TS: &str = "ui/e2e/fake/backend.ts";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

fn listed() -> BTreeSet<String> {
    COMMAND_NAMES.iter().map(|s| s.to_string()).collect()
}

/// Every identifier that follows `prefix` and ends at `end` (a quote or `(`).
fn names_after(text: &str, prefix: &str, end: char) -> BTreeSet<String> {
    text.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && rest[name.len()..].starts_with(end)).then_some(name)
        })
        .collect()
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Asserts `found` (in `file`) names exactly the listed commands.
fn assert_same(file: &str, found: &BTreeSet<String>, what_missing: &str) {
    let list = listed();
    let unknown: Vec<_> = found.difference(&list).collect();
    assert!(
        unknown.is_empty(),
        "{file} names {unknown:?}, which {LIST} does not list: remove them from {file} \
         (or add the command to {LIST})"
    );
    let missing: Vec<_> = list.difference(found).collect();
    assert!(
        missing.is_empty(),
        "{file} {what_missing} {missing:?}, which {LIST} lists: add them to {file} \
         (or remove the command from {LIST})"
    );
}

#[test]
fn specta_builder_registers_exactly_the_listed_commands() {
    let path = std::env::temp_dir().join(format!("banter-commands-{}.ts", std::process::id()));
    builder()
        .export(specta_typescript::Typescript::default(), &path)
        .expect("export bindings");
    let ts = std::fs::read_to_string(&path).expect("read exported bindings");
    let _ = std::fs::remove_file(&path);
    // `__TAURI_INVOKE("name"` or, for a typed call, `__TAURI_INVOKE<T>("name"`.
    let found = ts
        .split("__TAURI_INVOKE")
        .skip(1)
        .filter_map(|call| {
            let open = call.find("(\"")?;
            let generic = &call[..open];
            let typed_or_plain =
                generic.is_empty() || generic.starts_with('<') && !generic.contains('\n');
            let name = call[open + 2..].split('"').next()?;
            typed_or_plain.then(|| name.to_string())
        })
        .collect();
    assert_same("src-tauri/src/bindings.rs", &found, "does not register");
}

fn capability_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join(CAPABILITIES))
        .expect("read capabilities")
        .map(|e| e.expect("capability entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no capability files in {CAPABILITIES}");
    files
}

/// The app's own commands a capability allows (`allow-get-credits` →
/// `get_credits`); plugin permissions (`core:…`, `store:…`) are not ours.
fn allowed_commands(file: &Path) -> BTreeSet<String> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("read capability"))
            .expect("capability is JSON");
    json["permissions"]
        .as_array()
        .expect("capability has permissions")
        .iter()
        .filter_map(|p| p.as_str().or_else(|| p["identifier"].as_str()))
        .filter(|p| !p.contains(':'))
        .map(|p| {
            p.strip_prefix("allow-")
                .unwrap_or_else(|| {
                    panic!(
                        "{} has a permission `{p}` that is no `allow-`",
                        file.display()
                    )
                })
                .replace('-', "_")
        })
        .collect()
}

#[test]
fn capabilities_allow_only_listed_commands_and_each_is_allowed_somewhere() {
    let list = listed();
    let mut anywhere = BTreeSet::new();
    for file in capability_files() {
        let allowed = allowed_commands(&file);
        let unknown: Vec<_> = allowed.difference(&list).collect();
        assert!(
            unknown.is_empty(),
            "{} allows {unknown:?}, which {LIST} does not list",
            file.display()
        );
        anywhere.extend(allowed);
    }
    let unreachable: Vec<_> = list.difference(&anywhere).collect();
    assert!(
        unreachable.is_empty(),
        "no file in {CAPABILITIES} allows {unreachable:?}: grant them to a window (or remove \
         the commands from {LIST})"
    );
}

#[test]
fn main_window_allows_every_command() {
    let main = root().join(CAPABILITIES).join("main.json");
    let allowed = allowed_commands(&main);
    assert_same(
        "src-tauri/capabilities/main.json",
        &allowed,
        "does not allow",
    );
}

#[test]
fn api_ts_wraps_exactly_the_listed_commands() {
    let found = names_after(&read(API_TS), "commands.", '(')
        .iter()
        .map(|camel| snake_case(camel))
        .collect();
    assert_same(API_TS, &found, "has no wrapper for");
}

#[test]
fn fake_core_answers_exactly_the_listed_commands() {
    // Plugin commands (`plugin:store|get`) have a colon: not ours.
    let found = names_after(&read(FAKE_TS), "case \"", '"');
    assert_same(FAKE_TS, &found, "does not answer");
}

#[test]
fn drift_messages_name_the_file() {
    let mut extra = listed();
    extra.insert("export_session".to_string());
    let message = std::panic::catch_unwind(|| assert_same("some/file.ts", &extra, "lacks"))
        .expect_err("an unlisted command must fail")
        .downcast::<String>()
        .expect("panic message");
    assert!(
        message.contains("some/file.ts") && message.contains("export_session"),
        "{message}"
    );
}
