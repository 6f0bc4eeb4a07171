//! Running `banter-cli` as a real process against the mock servers (real
//! HTTP on 127.0.0.1), shared by the test modules beside it.

use banter_mocks::{MockConfig, MockServer};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The CLI with its data in `dir`, its model the mock's `deployment`.
pub fn cli(dir: &Path, mock: &MockServer, deployment: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_banter-cli"));
    cmd.arg("--data-dir")
        .arg(dir)
        .env_remove("BANTER_DATA_DIR")
        .env("BANTER_KEYRING", "off")
        .env_remove("RUST_LOG")
        .env("AZURE_OPENAI_ENDPOINT", mock.base_url())
        .env("AZURE_OPENAI_DEPLOYMENT", deployment)
        .env("AZURE_OPENAI_KEY", "test-key")
        .env("AZURE_OPENAI_API_VERSION", "2025-04-01-preview")
        .env_remove("BANTER_AZURE_MODEL_FAMILY")
        .env_remove("BANTER_AZURE_STREAM")
        .env_remove("BANTER_AZURE_VISION");
    cmd
}

/// Runs `dir`'s CLI with `args` against the mock's `deployment`.
pub async fn run_cli(dir: &Path, mock: &MockServer, deployment: &str, args: &[&str]) -> Output {
    let mut cmd = cli(dir, mock, deployment);
    cmd.args(args);
    run(cmd).await
}

pub async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run banter-cli"))
        .await
        .expect("join")
}

pub async fn mock() -> MockServer {
    banter_mocks::start(MockConfig {
        slow_ms: 10,
        ..MockConfig::default()
    })
    .await
    .expect("start mock")
}

pub fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// A success; returns stdout.
#[track_caller]
pub fn ok(out: &Output) -> &[u8] {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    &out.stdout
}

/// Exit `code`, nothing on stdout, one JSON error line on stderr.
#[track_caller]
pub fn fails(out: &Output, code: i32) -> Value {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    json(&out.stderr)
}

/// The ledger adds up; returns `ledger --verify`'s report.
pub async fn verify(dir: &Path, mock: &MockServer) -> Value {
    json(ok(&run_cli(
        dir,
        mock,
        "o3-mini",
        &["--json", "ledger", "--verify"],
    )
    .await))
}
