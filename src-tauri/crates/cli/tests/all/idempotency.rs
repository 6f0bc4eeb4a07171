//! `--idempotency-key` from the command line, as real processes against the
//! mock Azure server and the fixture web site (real HTTP on 127.0.0.1): the
//! same key with the same request replays the first result; with another
//! message, description or URL it is refused with `idempotency_conflict`
//! (exit 1, one JSON error line) and nothing is charged twice. `chat`
//! without `--session` starts a session, and its retry replays into that
//! session instead of opening another.

use crate::common;

use banter_core::ErrorCode;
use banter_mocks::site::{self, SiteConfig};
use common::{fails, json, mock, ok, run_cli, verify};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

async fn balance(dir: &Path, mock: &banter_mocks::MockServer) -> i64 {
    let out = run_cli(dir, mock, "o3-mini", &["--json", "credits"]).await;
    json(ok(&out))["remaining"].as_i64().expect("remaining")
}

#[track_caller]
fn assert_conflict(err: &Value) {
    assert_eq!(
        err["code"],
        ErrorCode::IdempotencyConflict.as_str(),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_retries_without_a_session_replay_and_another_message_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock().await;
    let d = dir.path();
    let send = |message: &'static str| {
        let mock = &mock;
        async move {
            run_cli(
                d,
                mock,
                "o3-mini",
                &["--json", "chat", "--idempotency-key", "k-chat", message],
            )
            .await
        }
    };

    let first = json(ok(&send("What is 2+2?").await));
    assert_eq!(first["session"], "CH-000001");
    assert_eq!(first["replayed"], false);
    assert_eq!(first["reply"], "Mock reply to: What is 2+2?");

    // No --session: the retry goes back to the first send's session.
    let again = json(ok(&send("What is 2+2?").await));
    assert_eq!(again["replayed"], true);
    assert_eq!(again["session"], "CH-000001");
    assert_eq!(again["messageId"], first["messageId"]);
    assert_eq!(again["reply"], first["reply"]);
    assert_eq!(again["balance"], 97);

    // The text form of a replay prints the first reply (inert) too.
    let text = run_cli(
        d,
        &mock,
        "o3-mini",
        &["chat", "--idempotency-key", "k-chat", "What is 2+2?"],
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(ok(&text)),
        "Mock reply to: What is 2+2?\n"
    );

    // Another message with the key is refused, with or without --session.
    assert_conflict(&fails(&send("What is 3+3?").await, 1));
    let named = run_cli(
        d,
        &mock,
        "o3-mini",
        &[
            "--json",
            "chat",
            "--session",
            "CH-000001",
            "--idempotency-key",
            "k-chat",
            "What is 3+3?",
        ],
    )
    .await;
    assert_conflict(&fails(&named, 1));

    // Once charged, one model call, one session; the ledger adds up.
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(balance(d, &mock).await, 97);
    let report = verify(d, &mock).await;
    assert_eq!(
        (report["entries"].as_i64(), report["balance"].as_i64()),
        (Some(2), Some(97))
    );
    let sessions = run_cli(d, &mock, "o3-mini", &["--json", "sessions", "list"]).await;
    let sessions = json(ok(&sessions));
    assert_eq!(
        sessions["sessions"].as_array().map(Vec::len),
        Some(1),
        "{sessions}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_with_a_reused_key_and_another_description_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock().await;
    let d = dir.path();
    let generate = |prompt: &'static str| {
        let mock = &mock;
        async move {
            run_cli(
                d,
                mock,
                "o3-mini",
                &["--json", "generate", "--idempotency-key", "k-gen", prompt],
            )
            .await
        }
    };
    let first = json(ok(&generate("Plan a trip").await));
    assert_eq!(first["replayed"], false);
    let again = json(ok(&generate("Plan a trip").await));
    assert_eq!(again["replayed"], true);
    assert_eq!(again["project"], first["project"]);

    assert_conflict(&fails(&generate("Plan a wedding").await, 1));
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(balance(d, &mock).await, 85);
    let report = verify(d, &mock).await;
    assert_eq!(report["entries"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_with_a_reused_key_and_another_url_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock().await;
    let site = site::start_site(SiteConfig {
        slow: Duration::from_secs(20),
    })
    .await
    .expect("start the fixture site");
    let d = dir.path();
    let scrape = |url: String| {
        let mock = &mock;
        async move {
            run_cli(
                d,
                mock,
                "o3-mini",
                &["--json", "scrape", "--idempotency-key", "k-scrape", &url],
            )
            .await
        }
    };
    let first = json(ok(&scrape(site.url("/article")).await));
    assert_eq!(first["replayed"], false);
    let again = json(ok(&scrape(site.url("/article")).await));
    assert_eq!(again["replayed"], true);
    assert_eq!(again["text"], first["text"]);

    assert_conflict(&fails(&scrape(site.url("/plain")).await, 1));
    assert_eq!(balance(d, &mock).await, 95);
    let report = verify(d, &mock).await;
    assert_eq!(report["entries"], 2);
}
