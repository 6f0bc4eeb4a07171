//! `banter-cli chat` as real processes against the mock Azure server (real
//! HTTP on 127.0.0.1): the streamed and `--json` outputs, a process killed
//! with SIGKILL mid-reply (the partial text survives as `interrupted`,
//! charged once), and 40 sends racing from separate processes on a fresh
//! profile (exactly 33 are answered, balance 1, the ledger adds up).

use crate::common;

use banter_core::ErrorCode;
use banter_mocks::{MockConfig, MockServer};
use common::{cli as chat_cmd, run};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Output, Stdio};

fn json_of(out: &Output) -> Value {
    common::json(&out.stdout)
}

async fn mock(slow_ms: u64) -> MockServer {
    banter_mocks::start(MockConfig {
        slow_ms,
        ..MockConfig::default()
    })
    .await
    .expect("start mock")
}

/// Starts `chat "go slowly"` against the slow mock, waits until `bytes` of
/// the reply were printed (each batch is in its journal before it is
/// printed), then kills the process with SIGKILL. Returns what was printed.
async fn kill_mid_reply(dir: &Path, mock: &MockServer, bytes: usize) -> String {
    let mut cmd = chat_cmd(dir, mock, "o3-mini-slow");
    cmd.args(["chat", "go slowly"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn banter-cli");
    let stdout = child.stdout.take().expect("stdout");
    let seen = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut text = Vec::new();
        let mut byte = [0u8; 1];
        while text.len() < bytes {
            if reader.read(&mut byte).expect("read") == 0 {
                break;
            }
            text.push(byte[0]);
        }
        let _ = reader.fill_buf();
        String::from_utf8_lossy(&text).into_owned()
    })
    .await
    .expect("join");
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streams_the_reply_and_reports_credits() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock(10).await;

    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["chat", "hello there"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Mock reply to: hello there\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CH-000001") && stderr.contains("97 credits left"),
        "{stderr}"
    );

    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "chat", "--session", "CH-000001", "again"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    assert_eq!(v["session"], "CH-000001");
    assert_eq!(v["reply"], "Mock reply to: again");
    assert_eq!(v["status"], "complete");
    assert_eq!(v["creditsUsed"], 3);
    assert_eq!(v["balance"], 94);
    assert!(v["tokens"].as_i64().unwrap() > 0);
    // The second send carried the first exchange as history.
    let last = mock.requests().last().cloned().unwrap();
    assert_eq!(last.body["messages"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_error_is_a_clear_failure_and_costs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock(10).await;
    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini-not-found");
    cmd.args(["--json", "chat", "hello"]);
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a wrong deployment is the user's to fix"
    );
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], ErrorCode::DeploymentNotFound.as_str());
    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "credits"]);
    assert_eq!(json_of(&run(cmd).await)["remaining"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_killed_mid_stream_survives_as_interrupted_and_is_charged_once() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock(40).await;
    // Several batches printed, so several on disk.
    let seen = kill_mid_reply(dir.path(), &mock, 60).await;
    assert!(seen.starts_with("Mock reply to: go slowly"), "{seen}");

    // The next start finds the reply without a live owner.
    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "sessions", "show", "CH-000001"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let messages = v["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    let reply = &messages[1];
    assert_eq!(reply["status"], "interrupted");
    let text = reply["content"].as_str().unwrap();
    assert!(text.starts_with("Mock reply to: go slowly word1"), "{text}");
    assert!(
        text.len() >= 40,
        "the saved text covers what was shown: {text}"
    );

    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "ledger", "--verify"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["balance"], 97, "charged once, not refunded");
}

/// Regression: on a loaded machine some of these sends failed with
/// `database_busy` (the first token count loaded the tokenizer while the
/// write lock was held, and waiting writers slept in SQLite's busy handler).
/// Three fresh profiles in a row, each must come out exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_sends_from_separate_processes_answer_exactly_33() {
    let mock = mock(10).await;
    for round in 1..=3 {
        forty_sends_race(&mock, round).await;
    }
}

async fn forty_sends_race(mock: &MockServer, round: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let runs: Vec<_> = (0..40)
        .map(|i| {
            let mut cmd = chat_cmd(dir.path(), mock, "o3-mini");
            cmd.args(["--json", "chat", &format!("race {i}")]);
            tokio::spawn(run(cmd))
        })
        .collect();
    let mut answered = 0;
    let mut refused = 0;
    for handle in runs {
        let out = handle.await.expect("join");
        if out.status.success() {
            assert_eq!(json_of(&out)["status"], "complete", "round {round}");
            answered += 1;
        } else {
            let err: Value = serde_json::from_slice(&out.stderr)
                .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
            assert_eq!(
                err["code"],
                ErrorCode::InsufficientCredits.as_str(),
                "round {round}: {err}"
            );
            assert_eq!(out.status.code(), Some(1));
            refused += 1;
        }
    }
    assert_eq!((answered, refused), (33, 7), "round {round}");
    let mut cmd = chat_cmd(dir.path(), mock, "o3-mini");
    cmd.args(["--json", "ledger", "--verify"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "round {round}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    assert_eq!(report["balance"], 1, "round {round}");
    assert_eq!(report["entries"], 34, "round {round}");
}

/// A reply's journal that cannot be read (here a directory where the file
/// was) must not stop the CLI from opening: that reply alone becomes
/// `interrupted`, and with nothing readable its send is refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_reply_journal_does_not_stop_the_cli_from_opening() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock(40).await;
    // Text printed, so saved in the journal.
    let seen = kill_mid_reply(dir.path(), &mock, 30).await;
    assert!(seen.starts_with("Mock reply"), "{seen}");

    let streams = dir.path().join("streams");
    let journals: Vec<_> = std::fs::read_dir(&streams)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(journals.len(), 1, "{journals:?}");
    std::fs::remove_file(&journals[0]).unwrap();
    std::fs::create_dir(&journals[0]).unwrap();

    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "credits"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json_of(&out)["remaining"],
        100,
        "nothing readable: refunded"
    );

    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "sessions", "show", "CH-000001"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let reply = &v["messages"][1];
    assert_eq!(reply["status"], "interrupted");
    assert_eq!(reply["content"], "");

    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
    cmd.args(["--json", "ledger", "--verify"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The sessions of the profile in `dir`, as `sessions list --json` shows them.
async fn sessions_of(dir: &Path, mock: &MockServer) -> Vec<Value> {
    let mut cmd = chat_cmd(dir, mock, "o3-mini");
    cmd.args(["--json", "sessions", "list"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)["sessions"]
        .as_array()
        .expect("a list of sessions")
        .clone()
}

/// `chat --new` behaves as the app's send: a send refused before anything is
/// kept (bad text, too few credits) leaves no session behind, and one whose
/// model failed keeps its session with the refunded message in it, never
/// an empty one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_in_a_new_session_leaves_no_empty_session() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock(10).await;
    let too_long = "x".repeat(banter_core::validate::MAX_MESSAGE_CHARS + 1);
    for text in ["   ", too_long.as_str()] {
        let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini");
        cmd.args(["--json", "chat", "--new", text]);
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(1), "{}", text.len());
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(
            err["code"],
            ErrorCode::InvalidInput.as_str(),
            "{}",
            text.len()
        );
        assert_eq!(sessions_of(dir.path(), &mock).await, Vec::<Value>::new());
    }

    let mut cmd = chat_cmd(dir.path(), &mock, "o3-mini-prompt-filter");
    cmd.args(["--json", "chat", "--new", "hello"]);
    let out = run(cmd).await;
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], ErrorCode::ContentFiltered.as_str());
    let sessions = sessions_of(dir.path(), &mock).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(
        sessions[0]["messageCount"], 2,
        "the refunded message and its failed reply stay, so it can be retried"
    );
}
