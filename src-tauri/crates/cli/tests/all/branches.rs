//! Message branches from the command line, as real processes against the
//! mock Azure server: `chat --edit MESSAGE_ID TEXT` sends an edited version
//! of a message (a branch), `sessions show --json` lists every message
//! with its parent and whether it is on the active branch, and `sessions
//! branch ID MESSAGE_ID` switches branch — which the next `chat` follows.

use crate::common;

use banter_core::ErrorCode;
use banter_mocks::{MockConfig, MockServer};
use common::{cli, run};
use serde_json::Value;
use std::path::Path;

/// Runs `banter-cli --json ARGS` on the profile in `dir`; its JSON output.
async fn json(dir: &Path, mock: &MockServer, args: &[&str]) -> Value {
    let mut cmd = cli(dir, mock, "o3-mini");
    cmd.arg("--json").args(args);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(&out.stdout)
}

/// `sessions show --json`: (id, parent, active, content) of each message.
async fn tree(dir: &Path, mock: &MockServer) -> Vec<(i64, Option<i64>, bool, String)> {
    let shown = json(dir, mock, &["sessions", "show", "CH-000001"]).await;
    shown["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["id"].as_i64().expect("id"),
                m["parentId"].as_i64(),
                m["active"].as_bool().expect("active"),
                m["content"].as_str().expect("content").to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_edit_makes_a_branch_that_sessions_show_and_branch_work_with() {
    let dir = tempfile::tempdir().unwrap();
    let mock = banter_mocks::start(MockConfig::default()).await.unwrap();
    json(dir.path(), &mock, &["chat", "pick a colour"]).await;
    json(
        dir.path(),
        &mock,
        &["chat", "--session", "CH-000001", "blue"],
    )
    .await;
    let before = tree(dir.path(), &mock).await;
    assert_eq!(before.len(), 4);
    let blue = before[2].0;
    assert_eq!(
        before[2].1,
        Some(before[1].0),
        "each follows the one before"
    );
    assert!(before.iter().all(|m| m.2));

    // An edited version of "blue", found by the message id alone.
    let edited = json(
        dir.path(),
        &mock,
        &["chat", "--edit", &blue.to_string(), "green"],
    )
    .await;
    assert_eq!(edited["session"], "CH-000001");
    assert_eq!(edited["reply"], "Mock reply to: green");
    assert_eq!(edited["balance"], 91);
    let after = tree(dir.path(), &mock).await;
    assert_eq!(after.len(), 6, "nothing overwritten: {after:?}");
    let green = after.iter().find(|m| m.3 == "green").expect("green");
    assert_eq!(green.1, before[2].1, "a sibling of blue");
    assert!(green.2);
    let old: Vec<&str> = after
        .iter()
        .filter(|m| !m.2)
        .map(|m| m.3.as_str())
        .collect();
    assert_eq!(old, ["blue", "Mock reply to: blue"]);

    // The text form shows the active branch and says where it forks.
    let mut cmd = cli(dir.path(), &mock, "o3-mini");
    cmd.args(["sessions", "show", "CH-000001"]);
    let out = run(cmd).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("version 2 of 2"), "{text}");
    assert!(text.contains("green") && !text.contains("blue"), "{text}");

    // Back to "blue": the session shows it, and the next send follows it.
    let switched = json(
        dir.path(),
        &mock,
        &["sessions", "branch", "CH-000001", &blue.to_string()],
    )
    .await;
    assert_eq!(switched["activeLeafId"], before[3].0);
    assert_eq!(switched["messageCount"], 4);
    json(
        dir.path(),
        &mock,
        &["chat", "--session", "CH-000001", "why?"],
    )
    .await;
    let sent: Vec<String> = mock.requests().last().unwrap().body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        sent,
        [
            "pick a colour",
            "Mock reply to: pick a colour",
            "blue",
            "Mock reply to: blue",
            "why?"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_reply_or_an_unknown_message_is_refused_and_costs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mock = banter_mocks::start(MockConfig::default()).await.unwrap();
    json(dir.path(), &mock, &["chat", "hello"]).await;
    let reply = tree(dir.path(), &mock).await[1].0;
    for (target, code) in [
        (reply.to_string(), ErrorCode::InvalidInput),
        ("999999".to_string(), ErrorCode::NotFound),
    ] {
        let mut cmd = cli(dir.path(), &mock, "o3-mini");
        cmd.args(["--json", "chat", "--edit", &target, "x"]);
        let out = run(cmd).await;
        assert!(!out.status.success());
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], code.as_str(), "{err}");
    }
    let mut cmd = cli(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "sessions", "branch", "CH-000001", "999999"]);
    let out = run(cmd).await;
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], ErrorCode::NotFound.as_str());
    assert_eq!(json(dir.path(), &mock, &["credits"]).await["remaining"], 97);
}
