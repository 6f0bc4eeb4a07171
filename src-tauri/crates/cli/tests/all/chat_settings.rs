//! `chat --system TEXT | --persona NAME` and `--effort`, and `personas`:
//! the real CLI against the mock Azure server (the prompt's role and the
//! effort checked on the wire), locally and signed in to a server, where
//! the settings are the session's on the server.

use super::common::{cli, fails, json, mock, ok, run, run_cli};
use super::hosted;
use banter_mocks::MockServer;
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;

async fn cli_json(dir: &Path, mock: &MockServer, deployment: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    json(ok(&run_cli(dir, mock, deployment, &all).await))
}

/// The instructions and effort of the last request the mock received.
fn last_sent(mock: &MockServer) -> (Value, Value) {
    let request = mock.requests().last().cloned().expect("a request");
    (
        request.body["messages"][0].clone(),
        request
            .body
            .get("reasoning_effort")
            .cloned()
            .unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_flags_set_the_chats_prompt_and_effort_and_the_chat_keeps_them() {
    let mock = mock().await;
    let dir = TempDir::new().unwrap();
    let d = dir.path();

    let saved = cli_json(
        d,
        &mock,
        "o3-mini",
        &[
            "personas",
            "save",
            "Pirate",
            "--prompt",
            "You are a pirate.",
            "--effort",
            "high",
        ],
    )
    .await;
    assert_eq!(saved["name"], "Pirate");
    let listed = cli_json(d, &mock, "o3-mini", &["personas", "list"]).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["reasoningEffort"], "high");

    // A chat from a persona (named in any case) gets its prompt and effort.
    let first = cli_json(
        d,
        &mock,
        "o3-mini",
        &["chat", "--persona", "pirate", "hello"],
    )
    .await;
    assert_eq!(first["reply"], "Mock reply to: hello");
    assert_eq!(
        last_sent(&mock),
        (
            json!({"role": "developer", "content": "Formatting re-enabled. You are a pirate."}),
            json!("high")
        )
    );
    let session = first["session"].as_str().unwrap().to_string();

    // The chat keeps them; --effort alone changes only the effort.
    cli_json(
        d,
        &mock,
        "o3-mini",
        &["chat", "--session", &session, "--effort", "low", "more"],
    )
    .await;
    assert_eq!(
        last_sent(&mock),
        (
            json!({"role": "developer", "content": "Formatting re-enabled. You are a pirate."}),
            json!("low")
        )
    );
    cli_json(
        d,
        &mock,
        "o3-mini",
        &["chat", "--session", &session, "again"],
    )
    .await;
    assert_eq!(last_sent(&mock).1, json!("low"));
    let shown = cli_json(d, &mock, "o3-mini", &["sessions", "show", &session]).await;
    assert_eq!(shown["session"]["systemPrompt"], "You are a pirate.");
    assert_eq!(shown["session"]["reasoningEffort"], "low");

    // Deleting the persona leaves the chat as it is.
    cli_json(d, &mock, "o3-mini", &["personas", "delete", "PIRATE"]).await;
    let listed = cli_json(d, &mock, "o3-mini", &["personas", "list"]).await;
    assert_eq!(listed, json!([]));
    let shown = cli_json(d, &mock, "o3-mini", &["sessions", "show", &session]).await;
    assert_eq!(shown["session"]["systemPrompt"], "You are a pirate.");

    // --system to a gpt-4o deployment: a `system` message, no effort.
    let mut cmd = cli(d, &mock, "gpt-4o");
    cmd.env("BANTER_AZURE_MODEL_FAMILY", "gpt").args([
        "--json",
        "chat",
        "--system",
        "Be terse.",
        "hi",
    ]);
    let gpt = json(ok(&run(cmd).await));
    assert_ne!(gpt["session"].as_str(), Some(session.as_str()));
    assert_eq!(
        last_sent(&mock),
        (
            json!({"role": "system", "content": "Formatting re-enabled. Be terse."}),
            Value::Null
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_chat_settings_are_refused_and_leave_no_session_behind() {
    let mock = mock().await;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let before = mock.requests().len();

    let unknown = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "chat", "--persona", "nobody", "hi"],
        )
        .await,
        1,
    );
    assert_eq!(unknown["code"], "not_found", "{unknown}");
    let bad_effort = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "chat", "--effort", "extreme", "hi"],
        )
        .await,
        1,
    );
    assert_eq!(bad_effort["code"], "invalid_arguments", "{bad_effort}");
    let long = "x".repeat(banter_core::chat::MAX_SYSTEM_PROMPT_CHARS + 1);
    let too_long = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "chat", "--system", &long, "hi"],
        )
        .await,
        1,
    );
    assert_eq!(too_long["code"], "invalid_input", "{too_long}");
    let blank = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "personas", "save", "x", "--prompt", " "],
        )
        .await,
        1,
    );
    assert_eq!(blank["code"], "invalid_input", "{blank}");

    // A send refused before anything is kept (a blank message): the
    // session started for its settings is removed again.
    let blank_message = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "chat", "--system", "Be terse.", "  "],
        )
        .await,
        1,
    );
    assert_eq!(blank_message["code"], "invalid_input", "{blank_message}");

    let sessions = cli_json(d, &mock, "o3-mini", &["sessions", "list"]).await;
    assert_eq!(sessions["sessions"], json!([]), "{sessions}");
    assert_eq!(mock.requests().len(), before, "nothing reached the model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_in_the_chats_settings_are_the_servers() {
    let oidc = hosted::oidc().await;
    let azure = hosted::azure(0).await;
    let h = hosted::chatting(&oidc, &azure, "o3-mini").await;
    let dir = TempDir::new().unwrap();
    hosted::signed_in(dir.path(), &h.a.url).await;

    let saved = hosted::cli_json(
        dir.path(),
        &[
            "personas",
            "save",
            "Pirate",
            "--prompt",
            "You are a pirate.",
        ],
    )
    .await;
    assert_eq!(saved["reasoningEffort"], Value::Null);
    let first = hosted::cli_json(
        dir.path(),
        &["chat", "--persona", "Pirate", "--effort", "medium", "hello"],
    )
    .await;
    assert_eq!(first["reply"], "Mock reply to: hello");
    assert_eq!(
        last_sent(&azure),
        (
            json!({"role": "developer", "content": "Formatting re-enabled. You are a pirate."}),
            json!("medium")
        )
    );

    // Stored on the server: read through the other instance.
    let session = first["session"].as_str().unwrap();
    let status = hosted::cli_json(dir.path(), &["account", "status"]).await;
    let caller = banter_server::auth::Caller {
        user_id: status["userId"].as_str().unwrap().to_string(),
        device_id: status["deviceId"].as_str().unwrap().to_string(),
    };
    let held = banter_server::routes::sessions::chat_for(&h.b.state, &caller)
        .get_session(&banter_core::ids::RecordRef::Display(session.into()))
        .await
        .unwrap();
    assert_eq!(held.system_prompt.as_deref(), Some("You are a pirate."));
    assert_eq!(
        held.reasoning_effort,
        Some(banter_core::providers::ReasoningEffort::Medium)
    );

    hosted::cli_json(
        dir.path(),
        &["chat", "--session", session, "--system", "Be kind.", "more"],
    )
    .await;
    assert_eq!(
        last_sent(&azure),
        (
            json!({"role": "developer", "content": "Formatting re-enabled. Be kind."}),
            json!("medium")
        )
    );
}

/// A retry of `chat --system … --idempotency-key K` with no `--session`
/// reaches the chat the first try paid in and replays it: no second chat,
/// no second charge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_key_with_settings_replays_in_the_same_chat() {
    let mock = mock().await;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let args = [
        "chat",
        "--system",
        "Be brief.",
        "--idempotency-key",
        "retry-me-1",
        "hello",
    ];
    let first = cli_json(d, &mock, "o3-mini", &args).await;
    let again = cli_json(d, &mock, "o3-mini", &args).await;
    assert_eq!(first["replayed"], false);
    assert_eq!(again["replayed"], true, "{again}");
    assert_eq!(again["session"], first["session"]);
    assert_eq!(again["balance"], first["balance"]);
    assert_eq!(mock.requests().len(), 1, "the model was asked once");
    let listed = cli_json(d, &mock, "o3-mini", &["sessions", "list"]).await;
    let sessions = listed
        .get("sessions")
        .and_then(Value::as_array)
        .or_else(|| listed.as_array())
        .map(Vec::len);
    assert_eq!(sessions, Some(1), "{listed}");
}
