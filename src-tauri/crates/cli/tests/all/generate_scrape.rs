//! `banter-cli generate` and `banter-cli scrape` as real processes against
//! the mock Azure server and the fixture web site (real HTTP on
//! 127.0.0.1): the `--json` results, the charges, and a failure of each
//! that is refunded (exit code and one JSON error line on stderr).

use crate::common;

use banter_core::ErrorCode;
use banter_mocks::site::{self, Site, SiteConfig};
use banter_mocks::{MockConfig, MockServer};
use common::{json, run};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The CLI with its data in `dir`, its model the mock's `o3-mini`.
fn cli(dir: &Path, mock: &MockServer) -> Command {
    common::cli(dir, mock, "o3-mini")
}

#[track_caller]
fn ok(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

/// Exit `code`, nothing on stdout, one JSON error line on stderr.
#[track_caller]
fn fails(out: &Output, code: i32) -> Value {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    json(&out.stderr)
}

async fn balance(dir: &Path, mock: &MockServer) -> i64 {
    let mut cmd = cli(dir, mock);
    cmd.args(["--json", "credits"]);
    ok(&run(cmd).await)["remaining"]
        .as_i64()
        .expect("remaining")
}

async fn verify(dir: &Path, mock: &MockServer) {
    let mut cmd = cli(dir, mock);
    cmd.args(["--json", "ledger", "--verify"]);
    ok(&run(cmd).await);
}

async fn servers() -> (MockServer, Site) {
    let mock = banter_mocks::start(MockConfig::default())
        .await
        .expect("mock");
    let site = site::start_site(SiteConfig::default()).await.expect("site");
    (mock, site)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_creates_the_project_and_its_tasks_for_15_credits() {
    let dir = tempfile::tempdir().unwrap();
    let (mock, _site) = servers().await;
    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "generate", "Plan a bake sale [[project:tasks:4]]"]);
    let got = ok(&run(cmd).await);
    assert_eq!(got["project"]["displayId"], "PR-000001");
    assert_eq!(got["project"]["name"], "Plan a bake sale");
    assert_eq!(got["creditsUsed"], 15);
    assert_eq!(got["balance"], 85);
    assert_eq!(got["replayed"], false);
    let tasks = got["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 4);
    assert_eq!(tasks[0]["title"], "Step 1 of Plan a bake sale");
    assert_eq!(tasks[0]["priority"], "high");
    assert_eq!(tasks[0]["dueDate"], "2026-12-02");

    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "projects", "show", "PR-000001"]);
    let shown = ok(&run(cmd).await);
    assert_eq!(shown["tasks"].as_array().map(Vec::len), Some(4));
    verify(dir.path(), &mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_with_unusable_output_fails_and_is_refunded() {
    let dir = tempfile::tempdir().unwrap();
    let (mock, _site) = servers().await;
    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "generate", "A party [[project:truncated]]"]);
    let err = fails(&run(cmd).await, 2);
    assert_eq!(err["code"], ErrorCode::ModelOutputTruncated.as_str());
    assert_eq!(balance(dir.path(), &mock).await, 100);
    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "projects", "list"]);
    assert_eq!(ok(&run(cmd).await), serde_json::json!([]));
    verify(dir.path(), &mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_saves_the_article_on_a_new_or_given_project() {
    let dir = tempfile::tempdir().unwrap();
    let (mock, site) = servers().await;
    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "scrape", &site.url("/article")]);
    let got = ok(&run(cmd).await);
    assert_eq!(got["title"], site::ARTICLE_TITLE);
    assert!(got["text"]
        .as_str()
        .unwrap()
        .contains(site::ARTICLE_SENTENCE));
    assert!(!got["text"].as_str().unwrap().contains(site::FOOTER_TEXT));
    assert_eq!(got["sourceUrl"], site.url("/article"));
    assert_eq!(got["createdProject"], true);
    assert_eq!(got["project"]["displayId"], "PR-000001");
    assert_eq!(got["creditsUsed"], 5);
    assert_eq!(got["balance"], 95);

    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["scrape", "--project", "PR-000001", &site.url("/plain")]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Release notes (saved on PR-000001"),
        "{text}"
    );
    assert!(text.contains("90 credits left"), "{text}");
    verify(dir.path(), &mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_failures_are_refunded_or_never_charged() {
    let dir = tempfile::tempdir().unwrap();
    let (mock, site) = servers().await;
    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "scrape", &site.url("/missing")]);
    let err = fails(&run(cmd).await, 1);
    assert_eq!(err["code"], ErrorCode::NotFound.as_str());
    assert_eq!(balance(dir.path(), &mock).await, 100);

    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "scrape", "file:///etc/passwd"]);
    let err = fails(&run(cmd).await, 1);
    assert_eq!(err["code"], ErrorCode::BadUrl.as_str());

    // Two ledger rows beyond the signup grant: the 404's spend and refund.
    let mut cmd = cli(dir.path(), &mock);
    cmd.args(["--json", "ledger"]);
    let rows = ok(&run(cmd).await);
    let kinds: Vec<&str> = rows
        .as_array()
        .or_else(|| rows["entries"].as_array())
        .expect("ledger rows")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["refund", "spend", "signup_grant"]);
    verify(dir.path(), &mock).await;
}
