//! Runs the real `banter-cli` binary against a fresh data directory and
//! checks what a script would rely on: stdout, one-line stderr, exit codes.

use banter_core::ErrorCode;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

/// The outcome of one run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        assert_eq!(self.stderr, "", "nothing but errors on stderr");
        self
    }

    /// Exit `code` with exactly one line on stderr and nothing on stdout.
    #[track_caller]
    fn fails(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one line on stderr: {:?}",
            self.stderr
        );
        assert!(self.stderr.ends_with('\n'));
        assert_eq!(self.stdout, "");
        self
    }
}

fn cli() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_banter-cli"));
    cmd.env_remove("BANTER_DATA_DIR")
        .env("BANTER_KEYRING", "off")
        .env_remove("RUST_LOG");
    cmd
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = cli()
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run banter-cli");
    Run {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

#[test]
fn credits_on_a_fresh_profile() {
    let dir = TempDir::new().unwrap();
    let balance = run_in(dir.path(), &["credits", "--json"]).ok().json();
    assert_eq!(balance["remaining"], 100);
    assert_eq!(balance["freeRemaining"], 100);
    assert_eq!(balance["purchasedRemaining"], 0);
    assert_eq!(balance["total"], 100);
    assert_eq!(balance["band"], "green");
    assert_eq!(balance["pro"], false);

    let text = run_in(dir.path(), &["credits"]).ok().stdout;
    assert!(
        text.starts_with("100 credits (free 100, purchased 0) of 100 · green"),
        "{text}"
    );
    assert!(text.contains("next reset "), "{text}");
}

#[test]
fn sessions_new_list_rename_delete() {
    let dir = TempDir::new().unwrap();
    let created = run_in(dir.path(), &["sessions", "new", "--json"])
        .ok()
        .json();
    assert_eq!(created["displayId"], "CH-000001");
    assert_eq!(created["title"], Value::Null);

    let page = run_in(dir.path(), &["sessions", "list", "--json"])
        .ok()
        .json();
    assert_eq!(page["sessions"][0]["displayId"], "CH-000001");
    assert_eq!(page["nextCursor"], Value::Null);

    let renamed = run_in(
        dir.path(),
        &["sessions", "rename", "ch-000001", "Plans", "--json"],
    );
    assert_eq!(renamed.ok().json()["title"], "Plans");
    let listed = run_in(dir.path(), &["sessions", "list"]).ok().stdout;
    assert!(
        listed.contains("CH-000001") && listed.contains("\"Plans\""),
        "{listed}"
    );

    // The row id works as well as the display id.
    run_in(dir.path(), &["sessions", "delete", "1"]).ok();
    let page = run_in(dir.path(), &["sessions", "list", "--json"])
        .ok()
        .json();
    assert_eq!(page["sessions"], serde_json::json!([]));
}

#[test]
fn sessions_list_pages_with_the_cursor() {
    let dir = TempDir::new().unwrap();
    for title in ["one", "two", "three"] {
        run_in(dir.path(), &["sessions", "new", "--title", title]).ok();
    }
    let first = run_in(dir.path(), &["sessions", "list", "--limit", "2", "--json"])
        .ok()
        .json();
    assert_eq!(first["sessions"].as_array().unwrap().len(), 2);
    let cursor = first["nextCursor"].as_str().expect("a second page");
    let second = run_in(
        dir.path(),
        &[
            "sessions", "list", "--limit", "2", "--cursor", cursor, "--json",
        ],
    );
    let second = second.ok().json();
    assert_eq!(second["sessions"][0]["displayId"], "CH-000001");
    assert_eq!(second["nextCursor"], Value::Null);

    run_in(dir.path(), &["sessions", "list", "--cursor", "nonsense"]).fails(1);
}

#[test]
fn unknown_session_is_a_user_error() {
    let dir = TempDir::new().unwrap();
    let run = run_in(dir.path(), &["sessions", "show", "CH-000404"]).fails(1);
    assert_eq!(run.stderr, "error: chat session not found: CH-000404\n");

    let run = run_in(dir.path(), &["sessions", "show", "CH-000404", "--json"]).fails(1);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["code"], ErrorCode::NotFound.as_str());
    assert!(error["message"].as_str().unwrap().contains("CH-000404"));

    let run = run_in(dir.path(), &["sessions", "show", "PR-000001"]).fails(1);
    assert!(run.stderr.contains("PR-000001"), "{}", run.stderr);
}

#[test]
fn empty_title_is_a_user_error() {
    let dir = TempDir::new().unwrap();
    run_in(dir.path(), &["sessions", "new"]).ok();
    for title in ["", "   "] {
        let run = run_in(dir.path(), &["sessions", "rename", "CH-000001", title]).fails(1);
        assert!(run.stderr.contains("title"), "{}", run.stderr);
    }
    let run = run_in(
        dir.path(),
        &["sessions", "rename", "CH-000001", "", "--json"],
    )
    .fails(1);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["code"], ErrorCode::InvalidInput.as_str());
    assert_eq!(error["field"], "title");
}

#[test]
fn projects_and_tasks_round_trip() {
    let dir = TempDir::new().unwrap();
    let project = run_in(
        dir.path(),
        &[
            "projects",
            "new",
            "Garden",
            "--description",
            "Spring",
            "--json",
        ],
    );
    let project = project.ok().json();
    assert_eq!(project["displayId"], "PR-000001");

    let args = [
        "tasks",
        "add",
        "PR-000001",
        "Plant tomatoes",
        "--priority",
        "high",
        "--due",
        "2026-05-01",
        "--json",
    ];
    let task = run_in(dir.path(), &args).ok().json();
    assert_eq!(task["displayId"], "TK-000001");
    assert_eq!(task["priority"], "high");
    assert_eq!(task["dueDate"], "2026-05-01");
    assert_eq!(task["status"], "todo");
    run_in(dir.path(), &["tasks", "add", "1", "Water"]).ok();

    let done = run_in(dir.path(), &["tasks", "done", "TK-000001", "--json"])
        .ok()
        .json();
    assert_eq!(done["status"], "done");

    let all = run_in(dir.path(), &["tasks", "list", "--json"]).ok().json();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["displayId"], "TK-000001");
    assert_eq!(all[0]["status"], "done");

    let open = run_in(dir.path(), &["tasks", "list", "--open", "--json"])
        .ok()
        .json();
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["title"], "Water");
    let done = run_in(dir.path(), &["tasks", "list", "--status", "done", "--json"])
        .ok()
        .json();
    assert_eq!(done.as_array().unwrap().len(), 1);

    let shown = run_in(dir.path(), &["projects", "show", "PR-000001", "--json"])
        .ok()
        .json();
    assert_eq!(shown["project"]["openTasks"], 1);
    assert_eq!(shown["project"]["totalTasks"], 2);
    assert_eq!(shown["tasks"].as_array().unwrap().len(), 2);

    let text = run_in(dir.path(), &["tasks", "list"]).ok().stdout;
    assert!(text.contains("TK-000002  PR-000001  todo"), "{text}");

    run_in(dir.path(), &["tasks", "add", "PR-000009", "Nowhere"]).fails(1);
    run_in(dir.path(), &["tasks", "done", "TK-000009"]).fails(1);
    run_in(dir.path(), &["tasks", "list", "--project", "PR-000009"]).fails(1);
}

#[test]
fn bad_values_are_user_errors() {
    let dir = TempDir::new().unwrap();
    run_in(dir.path(), &["projects", "new", "P"]).ok();
    let run = run_in(
        dir.path(),
        &["tasks", "add", "PR-000001", "T", "--due", "2026-02-30"],
    );
    assert!(run.fails(1).stderr.contains("--due"));
    run_in(
        dir.path(),
        &["tasks", "add", "PR-000001", "T", "--priority", "soon"],
    )
    .fails(1);
    run_in(dir.path(), &["tasks", "list", "--status", "later"]).fails(1);
    run_in(dir.path(), &["ledger", "--limit", "0"]).fails(1);
    run_in(dir.path(), &["projects", "new", "  "]).fails(1);
}

#[test]
fn ledger_lists_and_verifies() {
    let dir = TempDir::new().unwrap();
    let report = run_in(dir.path(), &["ledger", "--verify"]).ok().stdout;
    assert!(report.starts_with("ledger ok"), "{report}");
    let report = run_in(dir.path(), &["ledger", "--verify", "--json"])
        .ok()
        .json();
    assert_eq!(report["ledgerSum"], 100);
    assert_eq!(report["balance"], 100);

    let rows = run_in(dir.path(), &["ledger", "--json"]).ok().json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["kind"], "signup_grant");
    assert_eq!(rows[0]["amount"], 100);
    assert_eq!(rows[0]["balanceAfter"], 100);

    let text = run_in(dir.path(), &["ledger"]).ok().stdout;
    assert!(
        text.contains("signup_grant") && text.contains("+100"),
        "{text}"
    );
}

#[test]
fn show_pages_through_every_message() {
    let dir = TempDir::new().unwrap();
    let count = 205; // more than one page of the core's largest page (200)
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let options = banter_core::CoreOptions {
            data_dir: Some(dir.path().into()),
            clock: None,
            secrets: Some(std::sync::Arc::new(banter_core::secrets::NoSecrets)),
        };
        let core = banter_core::Core::open(options).await.unwrap();
        core.ledger()
            .credit_purchase(core.user_id(), 1000, "test-top-up", None)
            .await
            .unwrap();
        let session = core.chat().create_session(None).await.unwrap();
        let id = banter_core::ids::RecordRef::Id(session.id);
        for i in 0..count {
            let key = format!("test-message-{i}");
            core.chat()
                .record_user_message(&id, &format!("message {i}"), &key)
                .await
                .unwrap();
        }
        core.close().await;
    });

    let shown = run_in(dir.path(), &["sessions", "show", "CH-000001", "--json"])
        .ok()
        .json();
    let messages = shown["messages"].as_array().unwrap();
    assert_eq!(messages.len(), count);
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(
            m["content"],
            format!("message {i}"),
            "oldest first, none skipped"
        );
    }
    assert_eq!(shown["session"]["title"], "message 0");

    let text = run_in(dir.path(), &["sessions", "show", "CH-000001"])
        .ok()
        .stdout;
    assert!(
        text.contains("user · complete · 3 credits\n  message 204\n"),
        "{text}"
    );

    run_in(dir.path(), &["ledger", "--verify"]).ok();
}

#[test]
fn corrupt_database_is_an_internal_error() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("banter.db");
    std::fs::write(&db, b"this is not a database, just some garbage bytes").unwrap();
    let run = run_in(dir.path(), &["credits"]).fails(2);
    assert!(
        run.stderr.contains(&db.display().to_string()),
        "{}",
        run.stderr
    );

    let run = run_in(dir.path(), &["credits", "--json"]).fails(2);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["code"], ErrorCode::DatabaseCorrupt.as_str());
    // The file is left exactly as it was.
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"this is not a database, just some garbage bytes"
    );
}

#[test]
fn usage_errors_exit_1_in_one_line() {
    let dir = TempDir::new().unwrap();
    let run = run_in(dir.path(), &["frobnicate"]).fails(1);
    assert!(run.stderr.starts_with("error: ") && run.stderr.contains("frobnicate"));

    let run = run_in(dir.path(), &["--json", "frobnicate"]).fails(1);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["code"], ErrorCode::InvalidArguments.as_str());

    run_in(dir.path(), &[]).fails(1);
    run_in(dir.path(), &["sessions"]).fails(1);
    run_in(dir.path(), &["sessions", "show"]).fails(1);
    run_in(dir.path(), &["ledger", "--verify", "--limit", "5"]).fails(1);
}

#[test]
fn help_and_version_succeed() {
    let dir = TempDir::new().unwrap();
    let help = run_in(dir.path(), &["--help"]).ok().stdout;
    assert!(
        help.contains("sessions") && help.contains("--data-dir"),
        "{help}"
    );
    let help = run_in(dir.path(), &["tasks", "add", "--help"]).ok().stdout;
    assert!(help.contains("--priority"), "{help}");
    let version = run_in(dir.path(), &["--version"]).ok().stdout;
    assert!(version.starts_with("banter-cli "), "{version}");
}

#[test]
fn data_dir_from_the_environment() {
    let dir = TempDir::new().unwrap();
    let output = cli()
        .env("BANTER_DATA_DIR", dir.path())
        .env("BANTER_KEYRING", "off")
        .args(["profile", "--json"])
        .output();
    let output = output.unwrap();
    assert!(output.status.success());
    let profile: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        profile["dbPath"],
        dir.path().join("banter.db").display().to_string()
    );
    assert_eq!(profile["dataDir"], dir.path().display().to_string());
    assert!(profile["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(dir.path().join("banter.db").exists());

    // --data-dir wins over the environment.
    let other = TempDir::new().unwrap();
    let output = cli()
        .env("BANTER_DATA_DIR", dir.path())
        .env("BANTER_KEYRING", "off")
        .arg("--data-dir")
        .arg(other.path())
        .args(["profile", "--json"])
        .output()
        .unwrap();
    let profile: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(profile["dataDir"], other.path().display().to_string());
}

#[test]
fn logs_only_when_asked() {
    let dir = TempDir::new().unwrap();
    let quiet = run_in(dir.path(), &["credits"]);
    assert_eq!(quiet.ok().stderr, "");
    let output = cli()
        .env("RUST_LOG", "debug")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["credits", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    // Logs never mix into stdout: it is still exactly one JSON document.
    let _: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(!output.stderr.is_empty());
}
