//! `models` and `chat --model NAME`: the real CLI against the mock Azure
//! server. A model added here answers the chats set to it (its deployment
//! checked on the wire), the chat keeps it, the environment's model stays
//! the default, an unknown name is refused before anything is made or
//! paid, removing a model sends its chats to the default; signed in, the
//! list is the server's and this computer's cannot be changed.

use super::common::{fails, json, mock, ok, run_cli};
use super::hosted;
use banter_mocks::MockServer;
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;

async fn cli_json(dir: &Path, mock: &MockServer, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    json(ok(&run_cli(dir, mock, "o3-mini", &all).await))
}

fn listed(models: &Value) -> Vec<(String, bool)> {
    models
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                m["isDefault"] == json!(true),
            )
        })
        .collect()
}

fn last_deployment(mock: &MockServer) -> String {
    mock.requests()
        .last()
        .expect("a request")
        .deployment
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_set_with_model_is_answered_by_that_model_and_keeps_it() {
    let mock = mock().await;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let base = mock.base_url();

    // The environment's model (named by its deployment) is the default.
    let models = cli_json(d, &mock, &["models", "list"]).await;
    assert_eq!(listed(&models), [("o3-mini".to_string(), true)]);
    let added = cli_json(
        d,
        &mock,
        &[
            "models",
            "add",
            "Writer",
            "--azure-endpoint",
            &base,
            "--deployment",
            "gpt-4o",
            "--api-version",
            "2025-04-01-preview",
            "--gpt",
        ],
    )
    .await;
    assert_eq!(
        listed(&added),
        [("o3-mini".to_string(), true), ("Writer".to_string(), false)]
    );
    assert_eq!(added[1]["reasons"], json!(false), "{added}");
    // While AZURE_OPENAI_* is set, its model is the default: said, not
    // silently ignored.
    let not_default = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "models", "default", "Writer"],
        )
        .await,
        1,
    );
    assert_eq!(not_default["code"], "invalid_input", "{not_default}");
    assert!(
        not_default["message"]
            .as_str()
            .is_some_and(|m| m.contains("AZURE_OPENAI")),
        "{not_default}"
    );

    let first = cli_json(d, &mock, &["chat", "--model", "Writer", "a haiku"]).await;
    assert_eq!(first["reply"], "Mock reply to: a haiku");
    assert_eq!(last_deployment(&mock), "gpt-4o");
    let session = first["session"].as_str().expect("the chat").to_string();
    let again = cli_json(d, &mock, &["chat", "--session", &session, "another"]).await;
    assert_eq!(again["session"], json!(session));
    assert_eq!(last_deployment(&mock), "gpt-4o", "the chat keeps its model");
    let plain = cli_json(d, &mock, &["chat", "a proof"]).await;
    assert_ne!(plain["session"], json!(session));
    assert_eq!(last_deployment(&mock), "o3-mini", "a new chat: the default");
    let shown = cli_json(d, &mock, &["sessions", "show", &session]).await;
    assert_eq!(shown["session"]["model"], json!("Writer"), "{shown}");

    // The environment's model cannot be changed here.
    let env_name = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &[
                "--json",
                "models",
                "add",
                "o3-mini",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--model-id",
                "m",
            ],
        )
        .await,
        1,
    );
    assert_eq!(env_name["code"], "invalid_input", "{env_name}");

    // Removed: its chats are answered by the default.
    let left = cli_json(d, &mock, &["models", "remove", "Writer"]).await;
    assert_eq!(listed(&left), [("o3-mini".to_string(), true)]);
    cli_json(d, &mock, &["chat", "--session", &session, "still here"]).await;
    assert_eq!(last_deployment(&mock), "o3-mini");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_key_never_goes_to_another_azure_resource() {
    let elsewhere = mock().await;
    let mock = mock().await;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let added = cli_json(
        d,
        &mock,
        &[
            "models",
            "add",
            "West",
            "--azure-endpoint",
            &elsewhere.base_url(),
            "--deployment",
            "o3-mini",
        ],
    )
    .await;
    // AZURE_OPENAI_KEY is the environment endpoint's; West has none.
    let west = &added[1];
    assert_eq!(west["name"], "West", "{added}");
    assert!(
        west["problem"].as_str().is_some_and(|p| p.contains("key")),
        "{added}"
    );
    let refused = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "chat", "--model", "West", "hi"],
        )
        .await,
        1,
    );
    assert_eq!(refused["code"], "provider_not_configured", "{refused}");
    assert!(elsewhere.requests().is_empty(), "nothing reached West");
    let sessions = cli_json(d, &mock, &["sessions", "list"]).await;
    assert_eq!(sessions["sessions"], json!([]), "{sessions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_is_refused_before_anything_is_made_or_paid() {
    let mock = mock().await;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let before = cli_json(d, &mock, &["credits"]).await;
    let unknown = fails(
        &run_cli(
            d,
            &mock,
            "o3-mini",
            &["--json", "chat", "--model", "Nowhere", "hi"],
        )
        .await,
        1,
    );
    assert_eq!(unknown["code"], "model_not_found", "{unknown}");
    assert!(unknown["message"]
        .as_str()
        .unwrap_or_default()
        .contains("Nowhere"));
    let sessions = cli_json(d, &mock, &["sessions", "list"]).await;
    assert_eq!(sessions["sessions"], json!([]), "{sessions}");
    assert!(mock.requests().is_empty(), "nothing reached the model");
    assert_eq!(cli_json(d, &mock, &["credits"]).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_in_the_models_are_the_servers() {
    let oidc = hosted::oidc().await;
    let azure = hosted::azure(0).await;
    let h = hosted::chatting(&oidc, &azure, "o3-mini").await;
    let dir = TempDir::new().unwrap();
    hosted::signed_in(dir.path(), &h.a.url).await;

    let models = hosted::cli_json(dir.path(), &["models", "list"]).await;
    assert_eq!(listed(&models), [("o3-mini".to_string(), true)]);
    let refused = fails(
        &hosted::run_cli(
            dir.path(),
            &[
                "--json",
                "models",
                "add",
                "Mine",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--model-id",
                "m",
            ],
        )
        .await,
        1,
    );
    assert_eq!(refused["code"], "invalid_arguments", "{refused}");
    let unknown = fails(
        &hosted::run_cli(dir.path(), &["--json", "chat", "--model", "Nowhere", "hi"]).await,
        1,
    );
    assert_eq!(unknown["code"], "model_not_found", "{unknown}");
    let sessions = hosted::cli_json(dir.path(), &["sessions", "list"]).await;
    assert_eq!(sessions["sessions"], json!([]), "{sessions}");
    let sent = hosted::cli_json(dir.path(), &["chat", "--model", "o3-mini", "hello"]).await;
    assert_eq!(sent["reply"], "Mock reply to: hello");
}
