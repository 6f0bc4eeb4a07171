//! `buy`, `deep-link` and `billing sync` as real processes against the mock
//! Autumn server: a pack bought, paid and returned through the same handler
//! the app uses is granted once; a forged link is refused with a clear code.

use banter_core::ErrorCode;
use banter_mocks::autumn::{start_autumn, AutumnConfig, AutumnServer};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

fn cli(dir: &Path, autumn: &AutumnServer) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_banter-cli"));
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("--json")
        .env_remove("BANTER_DATA_DIR")
        .env("BANTER_KEYRING", "off")
        .env_remove("RUST_LOG")
        .env_remove("BANTER_PURCHASE_RETURN_URL")
        .env("AUTUMN_API_URL", autumn.base_url())
        .env("AUTUMN_SECRET_KEY", "am_sk_test_mock");
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run banter-cli"))
        .await
        .expect("join")
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buy_pay_and_return_through_the_cli_grants_once_and_forgeries_fail() {
    let dir = tempfile::tempdir().unwrap();
    let autumn = start_autumn(
        AutumnConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();

    let mut cmd = cli(dir.path(), &autumn);
    cmd.args(["buy", "credits_500"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checkout = json_of(&out.stdout);
    let url = checkout["url"].as_str().unwrap().to_string();
    assert_eq!(checkout["product"], "credits_500");

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let paid = browser.post(&url).send().await.unwrap();
    let link = paid.headers()["location"].to_str().unwrap().to_string();
    assert!(
        link.starts_with("banter://purchase/complete?ref=ck_"),
        "{link}"
    );

    for _ in 0..2 {
        let mut cmd = cli(dir.path(), &autumn);
        cmd.args(["deep-link", &link]);
        let out = run(cmd).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut cmd = cli(dir.path(), &autumn);
    cmd.args(["ledger", "--verify"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out.stdout)["balance"], 600, "granted once");

    let mut cmd = cli(dir.path(), &autumn);
    cmd.args(["deep-link", "banter://purchase/complete?credits=100000"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_of(&out.stderr)["code"],
        ErrorCode::BadDeepLink.as_str()
    );

    let mut cmd = cli(dir.path(), &autumn);
    cmd.args(["buy", "credits_999"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_of(&out.stderr)["code"],
        ErrorCode::UnknownProduct.as_str()
    );

    let mut cmd = cli(dir.path(), &autumn);
    cmd.args(["billing", "sync"]);
    let out = run(cmd).await;
    assert!(out.status.success());
    let report = json_of(&out.stdout);
    assert_eq!(report["fulfilled"].as_array().unwrap().len(), 0);
}
