//! `banter-cli` signed in to `banter-server` (hosted mode): the real CLI
//! binary against two in-process server instances on one throwaway
//! Postgres, signing in through `mock-oidc` with `--no-browser` (the test is
//! the browser: it opens the printed page and follows the provider's
//! redirect to the CLI's loopback listener), its tokens in a real Secret
//! Service (a private D-Bus with gnome-keyring) so they outlive each
//! process. Everything listens on 127.0.0.1.

use super::common::{fails, json, ok};
use banter_core::account::ClientCredentials;
use banter_core::billing::autumn::AutumnClient;
use banter_core::providers::{self, Secret};
use banter_mocks::oidc::{start_oidc, OidcConfig, OidcServer};
use banter_mocks::secret_service::{self, SecretService};
use banter_mocks::{MockConfig, MockServer};
use banter_server::auth::sign_in::SignInProvider;
use banter_server::auth::Caller;
use banter_tests::hosted::{self, Hosted, Parts};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the keyring files the CLI's tokens (see `SecretName::HostedTokens`).
const KEYRING_SERVICE: &str = "app.banter.desktop";

pub(super) async fn oidc() -> OidcServer {
    start_oidc(
        OidcConfig {
            default_user: Some("user-alice".into()),
            ..OidcConfig::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("start mock-oidc")
}

/// Two server instances signing in at `oidc`, their clock at the real now
/// (the provider's ID tokens carry real times).
pub(super) async fn servers(oidc: &OidcServer) -> Hosted {
    servers_with(oidc, Parts::default()).await
}

/// [`servers`] with more `parts` (purchases, a model).
async fn servers_with(oidc: &OidcServer, mut parts: Parts) -> Hosted {
    parts.sign_in = Some(SignInProvider::new(
        oidc.issuer(),
        ClientCredentials {
            client_id: oidc.client_id().to_string(),
            client_secret: None,
        },
    ));
    let database = banter_mocks::postgres::shared()
        .expect("test Postgres")
        .fresh_database()
        .expect("a fresh database");
    Hosted::on_database(&database, &chrono::Utc::now().to_rfc3339(), parts)
        .await
        .following_real_time()
}

/// Two instances answering chat with the mock's `deployment`.
pub(super) async fn chatting(oidc: &OidcServer, azure: &MockServer, deployment: &str) -> Hosted {
    let config = banter_tests::mock_azure_config(&azure.base_url(), deployment, true);
    let model = providers::build(&config, Some(Secret::new("test-key"))).expect("the mock model");
    servers_with(
        oidc,
        Parts {
            model: Some(model),
            ..Parts::default()
        },
    )
    .await
}

pub(super) async fn azure(slow_ms: u64) -> MockServer {
    banter_mocks::start(MockConfig {
        slow_ms,
        ..MockConfig::default()
    })
    .await
    .expect("mock Azure")
}

fn bus() -> &'static SecretService {
    secret_service::shared().expect("the test Secret Service")
}

/// The CLI with its data in `dir` and the test keyring as its OS keyring.
fn cli(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_banter-cli"));
    cmd.arg("--data-dir")
        .arg(dir)
        .env_remove("BANTER_DATA_DIR")
        .env_remove("BANTER_KEYRING")
        .env_remove("RUST_LOG")
        .env_remove("AZURE_OPENAI_ENDPOINT")
        .env_remove("AZURE_OPENAI_DEPLOYMENT")
        .env_remove("AZURE_OPENAI_KEY")
        .env("DBUS_SESSION_BUS_ADDRESS", bus().address());
    cmd
}

pub(super) async fn run_cli(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = cli(dir);
    cmd.args(args);
    super::common::run(cmd).await
}

/// Runs `args` with `--json` and returns the parsed stdout of a success.
pub(super) async fn cli_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    json(ok(&run_cli(dir, &all).await))
}

/// `account login --server URL --no-browser`, with the test as the
/// browser. Returns the finished process's output; its stdout holds the
/// lines after the sign-in URL.
async fn login(dir: &Path, server: &str) -> Output {
    login_with(cli(dir), server).await
}

/// [`login`] with the CLI command `cmd`.
async fn login_with(cmd: Command, server: &str) -> Output {
    login_as(cmd, server, None).await
}

/// [`login_with`], signing in the mock provider's test user `subject`
/// (its `login_hint`) instead of its default user.
async fn login_as(mut cmd: Command, server: &str, subject: Option<&str>) -> Output {
    let mut child = cmd
        .args(["account", "login", "--server", server, "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start banter-cli");
    let stdout = child.stdout.take().expect("stdout");
    let (url, mut reader) = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut line = String::new();
            let read = reader.read_line(&mut line).expect("read stdout");
            assert!(read > 0, "the CLI printed no sign-in URL");
            if line.starts_with("http") {
                return (line.trim().to_string(), reader);
            }
            // With --json: {"signInUrl": "…"} on a line of its own.
            if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&line) {
                if let Some(Value::String(url)) = o.get("signInUrl") {
                    return (url.clone(), reader);
                }
            }
        }
    })
    .await
    .expect("join");
    match subject {
        Some(subject) => browse(&format!("{url}&login_hint={subject}")).await,
        None => browse(&url).await,
    }
    tokio::task::spawn_blocking(move || {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).expect("read stdout");
        let mut out = child.wait_with_output().expect("wait for banter-cli");
        out.stdout = rest;
        out
    })
    .await
    .expect("join")
}

/// The system browser: opens the sign-in page (mock-oidc signs the test
/// user in at once and redirects) and follows the redirect to the CLI's
/// loopback listener.
async fn browse(url: &str) {
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let page = browser.get(url).send().await.expect("the sign-in page");
    assert_eq!(page.status(), StatusCode::FOUND);
    let back = page.headers()["location"]
        .to_str()
        .expect("a location")
        .to_string();
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    let landed = browser.get(&back).send().await.expect("the loopback page");
    assert!(landed.status().is_success(), "{}", landed.status());
}

/// The contents of session `id`'s messages, as `sessions show --json` prints them.
async fn shown_contents(dir: &Path, id: &str) -> Vec<String> {
    let shown = cli_json(dir, &["sessions", "show", id]).await;
    shown["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().expect("text content").to_string())
        .collect()
}

/// Signs the CLI in to `server`; returns `account status --json`.
pub(super) async fn signed_in(dir: &Path, server: &str) -> Value {
    let out = login(dir, server).await;
    let stdout = String::from_utf8_lossy(ok(&out)).to_string();
    assert!(stdout.contains("signed in to"), "{stdout}");
    let status = cli_json(dir, &["account", "status"]).await;
    assert_eq!(status["signedIn"], true, "{status}");
    status
}

/// The device's tokens as the keyring holds them, if any.
async fn stored_tokens(dir: &Path, server: &str) -> Option<Value> {
    let profile = cli_json(dir, &["profile"]).await;
    let account = format!(
        "hosted-tokens/{server}/{}",
        profile["id"].as_str().expect("profile id")
    );
    let found = bus()
        .lookup(&[("service", KEYRING_SERVICE), ("username", &account)])
        .expect("secret-tool");
    found.map(|s| serde_json::from_str(&s).expect("stored tokens are JSON"))
}

async fn pg_count(h: &Hosted, sql: &str, device: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(device)
        .fetch_one(h.a.state.store.pool())
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_status_and_the_account_through_the_server() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let dir = TempDir::new().unwrap();

    let status = signed_in(dir.path(), &h.a.url).await;
    assert_eq!(status["server"], h.a.url.as_str());
    assert_eq!(status["email"], "alice@example.test");
    let user_id = status["userId"].as_str().unwrap().to_string();
    let device_id = status["deviceId"].as_str().unwrap().to_string();
    let tokens = stored_tokens(dir.path(), &h.a.url)
        .await
        .expect("tokens in the keyring");
    assert_eq!(tokens["device_id"], device_id.as_str());
    // Nothing secret in the profile's settings.
    let settings = std::fs::read(dir.path().join("banter.db")).unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert!(!settings
        .windows(access.len())
        .any(|w| w == access.as_bytes()));

    // The account's signup grant, from the server's ledger.
    let credits = cli_json(dir.path(), &["credits"]).await;
    assert_eq!(credits["remaining"], 100, "{credits}");
    let text = String::from_utf8(ok(&run_cli(dir.path(), &["credits"]).await).to_vec()).unwrap();
    assert!(
        text.starts_with("100 credits (free 100, purchased 0) of 100"),
        "{text}"
    );

    // A session made by the CLI lives on the server (read back through the
    // other instance), not in the local profile.
    let made = cli_json(dir.path(), &["sessions", "new", "--title", "Hosted notes"]).await;
    assert_eq!(made["displayId"], "CH-000001", "{made}");
    let caller = Caller {
        user_id: user_id.clone(),
        device_id: device_id.clone(),
    };
    let on_b = banter_server::routes::sessions::chat_for(&h.b.state, &caller)
        .list_sessions(None, None)
        .await
        .unwrap();
    assert_eq!(on_b.sessions.len(), 1);
    assert_eq!(on_b.sessions[0].title.as_deref(), Some("Hosted notes"));
    let listed = cli_json(dir.path(), &["sessions", "list"]).await;
    assert_eq!(listed["sessions"][0]["displayId"], "CH-000001", "{listed}");
    let renamed = cli_json(dir.path(), &["sessions", "rename", "CH-000001", "Renamed"]).await;
    assert_eq!(renamed["title"], "Renamed");
    let shown = cli_json(dir.path(), &["sessions", "show", "CH-000001"]).await;
    assert_eq!(shown["session"]["title"], "Renamed");
    assert_eq!(shown["messages"], serde_json::json!([]));
    let missing = fails(
        &run_cli(dir.path(), &["--json", "sessions", "show", "CH-000009"]).await,
        1,
    );
    assert_eq!(missing["code"], "not_found");
    let other = cli_json(dir.path(), &["sessions", "new"]).await;
    let deleted = cli_json(
        dir.path(),
        &["sessions", "delete", other["displayId"].as_str().unwrap()],
    )
    .await;
    assert_eq!(deleted["displayId"], "CH-000002", "{deleted}");
    let listed = cli_json(dir.path(), &["sessions", "list"]).await;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1, "{listed}");

    let ledger = cli_json(dir.path(), &["ledger"]).await;
    assert_eq!(ledger.as_array().unwrap().len(), 1, "{ledger}");
    assert_eq!(ledger[0]["kind"], "signup_grant");
    assert_eq!(ledger[0]["userId"], user_id.as_str());
    let verified = cli_json(dir.path(), &["ledger", "--verify"]).await;
    assert_eq!(
        (verified["entries"].as_i64(), verified["balance"].as_i64()),
        (Some(1), Some(100))
    );

    // Local mode's data was not touched: the profile has no sessions.
    ok(&run_cli(dir.path(), &["account", "logout"]).await);
    let local = cli_json(dir.path(), &["sessions", "list"]).await;
    assert_eq!(local["sessions"], serde_json::json!([]), "{local}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn buy_and_billing_sync_go_through_the_server() {
    let oidc = oidc().await;
    let autumn = hosted::mock_autumn().await;
    let shop = AutumnClient::new(&autumn.base_url(), Secret::new(hosted::AUTUMN_KEY)).unwrap();
    let h = servers_with(
        &oidc,
        Parts {
            autumn: Some(shop),
            ..Parts::default()
        },
    )
    .await;
    let dir = TempDir::new().unwrap();
    signed_in(dir.path(), &h.a.url).await;

    // No Autumn key on this computer: the server opens the checkout.
    let checkout = cli_json(dir.path(), &["buy", "credits_500"]).await;
    assert_eq!(checkout["product"], "credits_500", "{checkout}");
    let pending = cli_json(dir.path(), &["billing", "sync"]).await;
    assert_eq!(pending["fulfilled"], serde_json::json!([]), "{pending}");
    assert_eq!(pending["pending"].as_array().unwrap().len(), 1, "{pending}");

    // The browser pays and comes back with the return link, which only
    // makes the server reconcile.
    let link = hosted::pay_in_browser(checkout["url"].as_str().unwrap()).await;
    let report = cli_json(dir.path(), &["deep-link", &link]).await;
    assert_eq!(report["fulfilled"][0]["credits"], 500, "{report}");
    let refused = fails(
        &run_cli(
            dir.path(),
            &[
                "--json",
                "deep-link",
                "banter://auth/callback?code=c&state=s",
            ],
        )
        .await,
        1,
    );
    assert_eq!(refused["code"], "bad_deep_link", "{refused}");
    let again = cli_json(dir.path(), &["billing", "sync"]).await;
    assert_eq!(
        again["fulfilled"],
        serde_json::json!([]),
        "granted once: {again}"
    );
    let credits = cli_json(dir.path(), &["credits"]).await;
    assert_eq!(
        (
            credits["remaining"].as_i64(),
            credits["purchasedRemaining"].as_i64()
        ),
        (Some(600), Some(500)),
        "{credits}"
    );
    let verified = cli_json(dir.path(), &["ledger", "--verify"]).await;
    assert_eq!(verified["balance"], 600, "{verified}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_access_token_is_refreshed_and_the_rotated_pair_kept() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let dir = TempDir::new().unwrap();
    let status = signed_in(dir.path(), &h.a.url).await;
    let device = status["deviceId"].as_str().unwrap().to_string();
    let first = stored_tokens(dir.path(), &h.a.url).await.unwrap();

    for round in 1..=2 {
        h.clock
            .advance(banter_server::auth::devices::ACCESS_TOKEN_TTL + chrono::Duration::seconds(1));
        let credits = cli_json(dir.path(), &["credits"]).await;
        assert_eq!(credits["remaining"], 100, "round {round}: {credits}");
    }
    // Each expiry cost one refresh; the second used the rotated refresh
    // token (a kept old one would have been a reuse, revoking the device).
    let stored = stored_tokens(dir.path(), &h.a.url).await.unwrap();
    assert_ne!(stored["refresh_token"], first["refresh_token"]);
    assert_eq!(
        pg_count(
            &h,
            "SELECT COUNT(*) FROM refresh_tokens WHERE device_id = $1 AND used_at IS NOT NULL",
            &device
        )
        .await,
        2
    );

    // Four processes whose token expired together: one refreshes, the
    // others take its pair (none presents the used refresh token again).
    h.clock
        .advance(banter_server::auth::devices::ACCESS_TOKEN_TTL + chrono::Duration::seconds(1));
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let dir = dir.path().to_path_buf();
            tokio::spawn(async move { run_cli(&dir, &["--json", "credits"]).await })
        })
        .collect();
    for run in runs {
        assert_eq!(json(ok(&run.await.unwrap()))["remaining"], 100);
    }
    assert_eq!(
        pg_count(
            &h,
            "SELECT COUNT(*) FROM refresh_tokens WHERE device_id = $1 AND used_at IS NOT NULL",
            &device
        )
        .await,
        3
    );
    assert_eq!(
        pg_count(
            &h,
            "SELECT COUNT(*) FROM devices WHERE id = $1 AND revoked_at IS NULL",
            &device
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_revokes_the_device_and_the_old_token_is_refused() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let dir = TempDir::new().unwrap();
    signed_in(dir.path(), &h.a.url).await;
    let tokens = stored_tokens(dir.path(), &h.a.url).await.unwrap();
    let old = tokens["access_token"].as_str().unwrap().to_string();

    let out = json(ok(
        &run_cli(dir.path(), &["--json", "account", "logout"]).await
    ));
    assert_eq!(out["signedOut"], true);
    let (status, body) = h
        .call(Method::GET, &h.b.url, "/v1/credits", Some(&old), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("device_revoked")),
        "{body}"
    );
    assert!(stored_tokens(dir.path(), &h.a.url).await.is_none());
    let status = cli_json(dir.path(), &["account", "status"]).await;
    assert_eq!(status["signedIn"], false, "{status}");
    // Back in local mode: the profile's own credits.
    assert_eq!(cli_json(dir.path(), &["credits"]).await["remaining"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_signed_out_elsewhere_is_told_so_and_forgotten() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let dir = TempDir::new().unwrap();
    let status = signed_in(dir.path(), &h.a.url).await;
    let device = status["deviceId"].as_str().unwrap();
    sqlx::query("UPDATE devices SET revoked_at = now(), revoked_why = 'signed_out_by_another_device' WHERE id = $1")
        .bind(device)
        .execute(h.a.state.store.pool())
        .await
        .unwrap();

    let refused = fails(&run_cli(dir.path(), &["--json", "credits"]).await, 1);
    assert_eq!(refused["code"], "device_revoked", "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("sign in again"));
    assert!(stored_tokens(dir.path(), &h.a.url).await.is_none());
    assert_eq!(
        cli_json(dir.path(), &["account", "status"]).await["signedIn"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_that_is_down_is_a_typed_offline_error() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let dir = TempDir::new().unwrap();
    signed_in(dir.path(), &h.a.url).await;
    let server = h.a.url.clone();
    drop(h); // both instances stop
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    for args in [
        vec!["--json", "credits"],
        vec!["--json", "sessions", "list"],
        vec!["--json", "projects", "list"],
        vec!["--json", "tasks", "done", "TK-000001"],
        vec!["--json", "chat", "hello"],
        vec!["--json", "buy", "credits_500"],
    ] {
        let error = fails(&run_cli(dir.path(), &args).await, 2);
        assert_eq!(error["code"], "offline", "{args:?}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(&server),
            "{error}"
        );
    }
    // Still signed in (the tokens are kept for when the server is back),
    // and the local profile's commands still work.
    let status = run_cli(dir.path(), &["--json", "account", "status"]).await;
    assert_eq!(json(ok(&status))["signedIn"], true);
    assert!(String::from_utf8_lossy(&status.stderr).contains("offline"));
    assert!(stored_tokens(dir.path(), &server).await.is_some());
    ok(&run_cli(dir.path(), &["profile"]).await);

    // Signing out needs the server, or the choice to forget it here only.
    let error = fails(
        &run_cli(dir.path(), &["--json", "account", "logout"]).await,
        2,
    );
    assert_eq!(error["code"], "offline", "{error}");
    assert!(stored_tokens(dir.path(), &server).await.is_some());
    let out = cli_json(dir.path(), &["account", "logout", "--here-only"]).await;
    assert_eq!(
        (&out["signedOut"], &out["hereOnly"]),
        (&Value::from(true), &Value::from(true))
    );
    assert!(stored_tokens(dir.path(), &server).await.is_none());
    let status = cli_json(dir.path(), &["account", "status"]).await;
    assert_eq!(status["signedIn"], false, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plain_http_server_elsewhere_is_refused_before_anything_is_sent() {
    let dir = TempDir::new().unwrap();
    let error = fails(
        &run_cli(
            dir.path(),
            &[
                "--json",
                "account",
                "login",
                "--server",
                "http://banter.example.invalid",
                "--no-browser",
            ],
        )
        .await,
        1,
    );
    assert_eq!(error["code"], "invalid_input", "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chat_goes_through_the_server_and_charges_the_account() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;
    let dir = TempDir::new().unwrap();
    let status = signed_in(dir.path(), &h.a.url).await;

    // No model on this computer (no AZURE_OPENAI_* set): the server's answers.
    let out = run_cli(dir.path(), &["chat", "hello there"]).await;
    let reply = String::from_utf8(ok(&out).to_vec()).unwrap();
    assert_eq!(reply.trim_end(), "Mock reply to: hello there", "{reply}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CH-000001 · Complete · 97 credits left"),
        "{stderr}"
    );

    let args = [
        "chat",
        "--session",
        "CH-000001",
        "--idempotency-key",
        "k-1",
        "again",
    ];
    let first = cli_json(dir.path(), &args).await;
    assert_eq!(
        (
            first["session"].as_str(),
            first["balance"].as_i64(),
            first["creditsUsed"].as_i64()
        ),
        (Some("CH-000001"), Some(94), Some(3)),
        "{first}"
    );
    assert_eq!(first["replayed"], false);
    let retried = cli_json(dir.path(), &args).await;
    assert_eq!(retried["replayed"], true, "{retried}");
    assert_eq!(
        (retried["balance"].as_i64(), &retried["messageId"]),
        (Some(94), &first["messageId"])
    );

    // A refusal before the reply opens is the server's typed error.
    let missing = fails(
        &run_cli(
            dir.path(),
            &["--json", "chat", "--session", "CH-000009", "hi"],
        )
        .await,
        1,
    );
    assert_eq!(missing["code"], "not_found", "{missing}");

    // Both exchanges are stored on the server, read through the other instance.
    let caller = Caller {
        user_id: status["userId"].as_str().unwrap().to_string(),
        device_id: status["deviceId"].as_str().unwrap().to_string(),
    };
    let session = banter_core::ids::RecordRef::Display("CH-000001".into());
    let page = banter_server::routes::sessions::chat_for(&h.b.state, &caller)
        .list_messages(&session, None, None)
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 4);
    assert_eq!(
        cli_json(dir.path(), &["ledger", "--verify"]).await["balance"],
        94
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_read_before_stays_readable_when_the_server_is_down() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;
    let dir = TempDir::new().unwrap();
    signed_in(dir.path(), &h.a.url).await;
    ok(&run_cli(dir.path(), &["chat", "remember Lisbon"]).await);
    drop(h); // both instances stop
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // Read from this computer's copy of the account's history.
    let page = cli_json(dir.path(), &["sessions", "list"]).await;
    let sessions = page["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 1, "{page}");
    assert_eq!(
        (&sessions[0]["displayId"], &sessions[0]["messageCount"]),
        (&Value::from("CH-000001"), &Value::from(2)),
        "{page}"
    );
    assert_eq!(
        shown_contents(dir.path(), "CH-000001").await,
        ["remember Lisbon", "Mock reply to: remember Lisbon"]
    );
    // An edit is made here and waits for the server; a paid action is
    // refused.
    let renamed = cli_json(dir.path(), &["sessions", "rename", "CH-000001", "Lisbon"]).await;
    assert_eq!(renamed["title"], "Lisbon", "{renamed}");
    let listed = cli_json(dir.path(), &["sessions", "list"]).await;
    assert_eq!(listed["sessions"][0]["title"], "Lisbon", "{listed}");
    let args = ["--json", "chat", "--session", "CH-000001", "and Porto?"];
    let error = fails(&run_cli(dir.path(), &args).await, 2);
    assert_eq!(error["code"], "offline", "{error}");
}

/// A TCP proxy on 127.0.0.1 in front of `upstream` that cuts the first
/// connection carrying a chat send as soon as reply text has passed
/// through it; every other connection is passed through whole. Returns its
/// URL and whether it has cut.
async fn cutting_proxy(upstream: SocketAddr) -> (String, Arc<AtomicBool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let cut = Arc::new(AtomicBool::new(false));
    let cutting = cut.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(pipe(client, upstream, cutting.clone()));
        }
    });
    (url, cut)
}

async fn pipe(client: tokio::net::TcpStream, upstream: SocketAddr, cut: Arc<AtomicBool>) {
    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let sends = Arc::new(AtomicBool::new(false));
    let saw_send = sends.clone();
    let up = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 || server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            if contains(&buf[..n], b"POST /v1/chat/send") {
                saw_send.store(true, Ordering::SeqCst);
            }
        }
    });
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = server_read.read(&mut buf).await {
        if n == 0 || client_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
        if sends.load(Ordering::SeqCst)
            && contains(&buf[..n], b"reply_delta")
            && !cut.swap(true, Ordering::SeqCst)
        {
            break; // the connection breaks mid-reply
        }
    }
    up.abort();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_whose_stream_breaks_is_read_back_whole_and_charged_once() {
    let oidc = oidc().await;
    let azure = azure(10).await;
    let h = chatting(&oidc, &azure, "o3-slow").await;
    let upstream: SocketAddr = h.a.url.trim_start_matches("http://").parse().unwrap();
    let (proxy, cut) = cutting_proxy(upstream).await;
    let dir = TempDir::new().unwrap();
    let status = signed_in(dir.path(), &proxy).await;

    let out = run_cli(dir.path(), &["chat", "Tell me a story"]).await;
    assert!(cut.load(Ordering::SeqCst), "the proxy never cut the stream");
    let printed = String::from_utf8(ok(&out).to_vec()).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("· Complete · 97 credits left"), "{stderr}");

    let caller = Caller {
        user_id: status["userId"].as_str().unwrap().to_string(),
        device_id: status["deviceId"].as_str().unwrap().to_string(),
    };
    let session = banter_core::ids::RecordRef::Display("CH-000001".into());
    let page = banter_server::routes::sessions::chat_for(&h.b.state, &caller)
        .list_messages(&session, None, None)
        .await
        .unwrap();
    let stored = page.messages.last().unwrap();
    assert!(stored.content.ends_with("word200"), "{}", stored.content);
    // What was streamed before the break, then the rest read back: the whole reply, once.
    assert_eq!(printed.trim_end(), stored.content);
    let verified = cli_json(dir.path(), &["ledger", "--verify"]).await;
    assert_eq!(
        (verified["entries"].as_i64(), verified["balance"].as_i64()),
        (Some(2), Some(97))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ctrl_c_stops_a_hosted_reply_on_the_server() {
    let oidc = oidc().await;
    let azure = azure(40).await;
    let h = chatting(&oidc, &azure, "o3-slow").await;
    let dir = TempDir::new().unwrap();
    signed_in(dir.path(), &h.a.url).await;

    let mut child = cli(dir.path())
        .args(["chat", "Tell me a long story"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut stdout = child.stdout.take().unwrap();
    let shown = tokio::task::spawn_blocking(move || {
        let mut first = [0u8; 64];
        let n = stdout.read(&mut first).expect("reply text");
        let mut rest = Vec::new();
        // Ctrl-C as the terminal sends it, once text is on the screen.
        let interrupted = Command::new("kill")
            .args(["-s", "INT", &pid])
            .status()
            .unwrap();
        assert!(interrupted.success());
        stdout.read_to_end(&mut rest).expect("the rest");
        let mut all = first[..n].to_vec();
        all.extend(rest);
        let out = child.wait_with_output().expect("banter-cli ends");
        (String::from_utf8(all).unwrap(), out)
    })
    .await
    .unwrap();
    let (printed, out) = shown;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CH-000001 · Stopped · 97 credits left"),
        "{stderr}"
    );
    let shown = cli_json(dir.path(), &["sessions", "show", "CH-000001"]).await;
    let reply = &shown["messages"][1];
    assert_eq!(reply["status"], "stopped", "{shown}");
    let content = reply["content"].as_str().unwrap();
    assert!(
        !content.ends_with("word200"),
        "the reply was not stopped: {content}"
    );
    assert_eq!(printed.trim_end(), content.trim_end());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_this_computer_cannot_keep_is_refused_and_its_device_signed_out() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let dir = TempDir::new().unwrap();
    let mut cmd = cli(dir.path());
    cmd.env("BANTER_KEYRING", "off").arg("--json");
    let out = login_with(cmd, &h.a.url).await;
    let error = json(&out.stderr);
    assert_eq!(
        (out.status.code(), error["code"].as_str()),
        (Some(1), Some("keyring_unavailable")),
        "{error}"
    );
    let (devices, live): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(*) FILTER (WHERE revoked_at IS NULL) FROM devices")
            .fetch_one(h.a.state.store.pool())
            .await
            .unwrap();
    assert_eq!((devices, live), (1, 0));
    assert_eq!(
        cli_json(dir.path(), &["account", "status"]).await["signedIn"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generate_and_scrape_go_through_the_server() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;
    let site = banter_mocks::site::start_site(banter_mocks::site::SiteConfig::default())
        .await
        .expect("site");
    let dir = TempDir::new().unwrap();
    signed_in(dir.path(), &h.a.url).await;
    let generation = banter_core::ledger::Action::ProjectGeneration.cost();

    // No model on this computer: the server's model plans the project, and
    // the account pays.
    let got = cli_json(
        dir.path(),
        &[
            "generate",
            "Plan a bake sale [[project:tasks:4]]",
            "--idempotency-key",
            "g-1",
        ],
    )
    .await;
    assert_eq!(got["project"]["displayId"], "PR-000001", "{got}");
    assert_eq!(got["tasks"].as_array().map(Vec::len), Some(4));
    assert_eq!(got["creditsUsed"].as_i64(), Some(generation));
    assert_eq!(got["balance"].as_i64(), Some(100 - generation));
    let retried = cli_json(
        dir.path(),
        &[
            "generate",
            "Plan a bake sale [[project:tasks:4]]",
            "--idempotency-key",
            "g-1",
        ],
    )
    .await;
    assert_eq!(retried["replayed"], true, "{retried}");
    assert_eq!(retried["balance"].as_i64(), Some(100 - generation));
    let on_server: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(h.b.state.store.pool())
        .await
        .unwrap();
    assert_eq!(on_server, 1);

    // The server fetches pages for strangers: its address policy refuses
    // the loopback site this computer could read, before any charge.
    let page = site.url("/article");
    let refused = fails(&run_cli(dir.path(), &["--json", "scrape", &page]).await, 1);
    assert_eq!(refused["code"], "private_address", "{refused}");
    let credits = cli_json(dir.path(), &["credits"]).await;
    assert_eq!(
        credits["remaining"].as_i64(),
        Some(100 - generation),
        "{credits}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projects_and_tasks_are_the_accounts_on_the_server() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;
    let dir = TempDir::new().unwrap();

    // Before signing in: a project and a task of this computer's profile.
    let garden = cli_json(dir.path(), &["projects", "new", "Garden"]).await;
    assert_eq!(garden["displayId"], "PR-000001", "{garden}");
    ok(&run_cli(dir.path(), &["tasks", "add", "PR-000001", "Water"]).await);

    // Signed in, the account's projects only: it has none yet, and the
    // local ones are neither listed nor reachable by id.
    let status = signed_in(dir.path(), &h.a.url).await;
    let caller = Caller {
        user_id: status["userId"].as_str().unwrap().to_string(),
        device_id: status["deviceId"].as_str().unwrap().to_string(),
    };
    let on_server = banter_server::routes::projects::projects_for(&h.b.state, &caller);
    assert_eq!(
        cli_json(dir.path(), &["projects", "list"]).await,
        serde_json::json!([])
    );
    let text = run_cli(dir.path(), &["projects", "list"]).await;
    assert_eq!(
        String::from_utf8_lossy(ok(&text)).trim_end(),
        "no projects yet: banter-cli projects new NAME"
    );
    assert_eq!(
        cli_json(dir.path(), &["tasks", "list"]).await,
        serde_json::json!([])
    );
    let hidden = fails(
        &run_cli(dir.path(), &["--json", "projects", "show", "PR-000001"]).await,
        1,
    );
    assert_eq!(hidden["code"], "not_found", "{hidden}");

    // A project made by the CLI lives on the server (read through the
    // other instance) and is listed from there.
    let made = cli_json(
        dir.path(),
        &["projects", "new", "Move house", "--description", "boxes"],
    )
    .await;
    assert_eq!(
        (&made["displayId"], &made["name"]),
        (&Value::from("PR-000001"), &Value::from("Move house")),
        "{made}"
    );
    let stored = on_server.list_projects(false, None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].name.as_str(), stored[0].description.as_str()),
        ("Move house", "boxes")
    );
    let listed = cli_json(dir.path(), &["projects", "list"]).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["name"], "Move house");
    let text =
        String::from_utf8(ok(&run_cli(dir.path(), &["projects", "list"]).await).to_vec()).unwrap();
    assert!(
        text.contains("PR-000001") && text.contains("Move house") && !text.contains("Garden"),
        "{text}"
    );

    // Tasks are added to and completed on the server's project.
    let added = cli_json(
        dir.path(),
        &[
            "tasks",
            "add",
            "PR-000001",
            "Pack books",
            "--priority",
            "high",
            "--due",
            "2030-01-31",
        ],
    )
    .await;
    assert_eq!(
        (
            &added["displayId"],
            &added["projectDisplayId"],
            &added["priority"],
            &added["dueDate"]
        ),
        (
            &Value::from("TK-000001"),
            &Value::from("PR-000001"),
            &Value::from("high"),
            &Value::from("2030-01-31")
        ),
        "{added}"
    );
    let text = run_cli(dir.path(), &["tasks", "add", "1", "Label boxes"]).await;
    assert_eq!(
        String::from_utf8_lossy(ok(&text)).trim_end(),
        "added TK-000002 to PR-000001: Label boxes (medium, due -)"
    );
    let task_one = banter_core::ids::RecordRef::Display("TK-000001".into());
    let before = on_server.get_task(&task_one).await.unwrap();
    assert_eq!(before.status, banter_core::projects::TaskStatus::Todo);
    let done = cli_json(dir.path(), &["tasks", "done", "TK-000001"]).await;
    assert_eq!(done["status"], "done", "{done}");
    let after = on_server.get_task(&task_one).await.unwrap();
    assert_eq!(after.status, banter_core::projects::TaskStatus::Done);
    let open = cli_json(dir.path(), &["tasks", "list", "--open"]).await;
    let open: Vec<&str> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["displayId"].as_str().unwrap())
        .collect();
    assert_eq!(open, vec!["TK-000002"]);
    let finished = cli_json(dir.path(), &["tasks", "list", "--status", "done"]).await;
    assert_eq!(finished.as_array().map(Vec::len), Some(1), "{finished}");
    assert_eq!(finished[0]["displayId"], "TK-000001");
    let shown = cli_json(dir.path(), &["projects", "show", "PR-000001"]).await;
    assert_eq!(
        (
            shown["project"]["openTasks"].as_i64(),
            shown["project"]["totalTasks"].as_i64(),
            shown["tasks"].as_array().map(Vec::len)
        ),
        (Some(1), Some(2), Some(2)),
        "{shown}"
    );

    // The server's refusals keep their codes.
    for (args, code) in [
        (vec!["--json", "tasks", "done", "TK-000009"], "not_found"),
        (
            vec!["--json", "tasks", "add", "PR-000009", "x"],
            "not_found",
        ),
        (
            vec!["--json", "tasks", "list", "--project", "PR-000009"],
            "not_found",
        ),
        (vec!["--json", "projects", "new", "  "], "invalid_input"),
    ] {
        let refused = fails(&run_cli(dir.path(), &args).await, 1);
        assert_eq!(refused["code"], code, "{args:?}: {refused}");
    }

    // A project the server's model generated is one of the account's too.
    let generated = cli_json(
        dir.path(),
        &["generate", "Plan a bake sale [[project:tasks:3]]"],
    )
    .await;
    assert_eq!(
        generated["project"]["displayId"], "PR-000002",
        "{generated}"
    );
    let listed = cli_json(dir.path(), &["projects", "list"]).await;
    let mut ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["displayId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["PR-000001", "PR-000002"], "{listed}");
    let planned = cli_json(dir.path(), &["tasks", "list", "--project", "PR-000002"]).await;
    assert_eq!(planned.as_array().map(Vec::len), Some(3), "{planned}");

    // Another account, signed in on another computer, sees none of it and
    // cannot change it.
    let bob = TempDir::new().unwrap();
    let out = login_as(cli(bob.path()), &h.a.url, Some("user-bob")).await;
    ok(&out);
    let bob_status = cli_json(bob.path(), &["account", "status"]).await;
    assert_eq!(bob_status["email"], "bob@example.test", "{bob_status}");
    assert_eq!(
        cli_json(bob.path(), &["projects", "list"]).await,
        serde_json::json!([])
    );
    assert_eq!(
        cli_json(bob.path(), &["tasks", "list"]).await,
        serde_json::json!([])
    );
    for args in [
        vec!["--json", "projects", "show", "PR-000001"],
        vec!["--json", "tasks", "done", "TK-000002"],
        vec!["--json", "tasks", "add", "PR-000001", "Sneak in"],
    ] {
        let refused = fails(&run_cli(bob.path(), &args).await, 1);
        assert_eq!(refused["code"], "not_found", "{args:?}: {refused}");
    }
    let untouched = on_server
        .get_task(&banter_core::ids::RecordRef::Display("TK-000002".into()))
        .await
        .unwrap();
    assert_eq!(untouched.status, banter_core::projects::TaskStatus::Todo);
    assert_eq!(
        on_server
            .list_tasks(&Default::default())
            .await
            .unwrap()
            .len(),
        5
    );

    // Bob's own first project is his PR-000001, and `1` names it as it
    // names Alice's for her, though its row on the server is another.
    let his = cli_json(bob.path(), &["projects", "new", "Bob's plan"]).await;
    assert_eq!(his["displayId"], "PR-000001", "{his}");
    assert_ne!(his["id"], made["id"], "{his}");
    let shown = cli_json(bob.path(), &["projects", "show", "1"]).await;
    assert_eq!(shown["project"]["name"], "Bob's plan", "{shown}");
    let his_task = cli_json(bob.path(), &["tasks", "add", "1", "Call movers"]).await;
    assert_eq!(his_task["displayId"], "TK-000001", "{his_task}");
    let done = cli_json(bob.path(), &["tasks", "done", "1"]).await;
    assert_eq!(
        (&done["title"], &done["status"]),
        (&Value::from("Call movers"), &Value::from("done")),
        "{done}"
    );
    let only_his = cli_json(bob.path(), &["tasks", "list", "--project", "1"]).await;
    assert_eq!(only_his.as_array().map(Vec::len), Some(1), "{only_his}");
    assert_eq!(
        on_server
            .list_tasks(&Default::default())
            .await
            .unwrap()
            .len(),
        5,
        "Alice's tasks are as they were"
    );

    // Signed out, this computer's projects are back, as they were.
    ok(&run_cli(dir.path(), &["account", "logout"]).await);
    let local = cli_json(dir.path(), &["projects", "list"]).await;
    assert_eq!(local.as_array().map(Vec::len), Some(1), "{local}");
    assert_eq!(local[0]["name"], "Garden");
    let tasks = cli_json(dir.path(), &["tasks", "list"]).await;
    assert_eq!(tasks.as_array().map(Vec::len), Some(1), "{tasks}");
    assert_eq!(
        (&tasks[0]["title"], &tasks[0]["status"]),
        (&Value::from("Water"), &Value::from("todo"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bare_number_names_the_accounts_own_session() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;

    // Alice's session takes the server's first row.
    let alice = TempDir::new().unwrap();
    let status = signed_in(alice.path(), &h.a.url).await;
    let hers = cli_json(alice.path(), &["sessions", "new", "--title", "Alice's"]).await;
    assert_eq!(hers["displayId"], "CH-000001", "{hers}");

    // Bob's first session is his CH-000001 on another row; `1` names it.
    let bob = TempDir::new().unwrap();
    ok(&login_as(cli(bob.path()), &h.a.url, Some("user-bob")).await);
    let first = cli_json(bob.path(), &["chat", "hello"]).await;
    assert_eq!(first["session"], "CH-000001", "{first}");
    let again = cli_json(bob.path(), &["chat", "--session", "1", "again"]).await;
    assert_eq!(again["session"], "CH-000001", "{again}");
    let renamed = cli_json(bob.path(), &["sessions", "rename", "1", "Bob's"]).await;
    assert_eq!(renamed["title"], "Bob's", "{renamed}");
    assert_ne!(renamed["id"], hers["id"], "{renamed}");
    let shown = cli_json(bob.path(), &["sessions", "show", "1"]).await;
    assert_eq!(
        (
            &shown["session"]["title"],
            shown["messages"].as_array().map(Vec::len)
        ),
        (&Value::from("Bob's"), Some(4)),
        "{shown}"
    );
    let deleted = cli_json(bob.path(), &["sessions", "delete", "1"]).await;
    assert_eq!(deleted["title"], "Bob's", "{deleted}");

    // Alice's session is as she left it.
    let caller = Caller {
        user_id: status["userId"].as_str().unwrap().to_string(),
        device_id: status["deviceId"].as_str().unwrap().to_string(),
    };
    let page = banter_server::routes::sessions::chat_for(&h.b.state, &caller)
        .list_sessions(None, None)
        .await
        .unwrap();
    assert_eq!(page.sessions.len(), 1);
    assert_eq!(
        (
            page.sessions[0].title.as_deref(),
            page.sessions[0].message_count
        ),
        (Some("Alice's"), 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sync_brings_another_devices_changes_into_this_computers_copy() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;
    let (laptop, desktop) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    signed_in(laptop.path(), &h.a.url).await;
    signed_in(desktop.path(), &h.b.url).await;
    ok(&run_cli(laptop.path(), &["chat", "remember Lisbon"]).await);
    ok(&run_cli(laptop.path(), &["projects", "new", "Trip"]).await);

    let synced = cli_json(desktop.path(), &["sync"]).await;
    assert!(synced["pulled"].as_u64() >= Some(4), "{synced}");
    assert_eq!(
        (&synced["pushed"], &synced["sessions"]),
        (&Value::from(0), &Value::from(1)),
        "{synced}"
    );
    let again = cli_json(desktop.path(), &["sync"]).await;
    assert_eq!(
        (&again["pulled"], &again["cursor"]),
        (&Value::from(0), &synced["cursor"]),
        "nothing new: {again}"
    );
    let text = run_cli(desktop.path(), &["sync"]).await;
    assert_eq!(
        String::from_utf8_lossy(ok(&text)).trim_end(),
        format!(
            "0 changes in, 0 out; 0 conversations changed (at {})",
            synced["cursor"]
        )
    );

    // With both instances gone, the desktop reads the laptop's conversation
    // from its own copy, although it never opened it.
    drop(h);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        shown_contents(desktop.path(), "CH-000001").await,
        ["remember Lisbon", "Mock reply to: remember Lisbon"]
    );
    let offline = fails(&run_cli(desktop.path(), &["--json", "sync"]).await, 2);
    assert_eq!(offline["code"], "offline", "{offline}");
}

/// Signed in, every command first sends what was edited here offline and
/// pulls what other devices did: a command that reads no history still
/// brings it, and edits made while the server was down reach it with the
/// next command that finds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_command_catches_up_first_so_offline_edits_reach_the_server_on_the_next() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;
    let target: SocketAddr = h.a.url.trim_start_matches("http://").parse().unwrap();
    let network = banter_mocks::gateway::Gateway::start(target).await.unwrap();
    let (laptop, desktop) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    signed_in(laptop.path(), &h.b.url).await;
    signed_in(desktop.path(), &network.url()).await;
    ok(&run_cli(laptop.path(), &["chat", "remember Lisbon"]).await);
    ok(&run_cli(laptop.path(), &["chat", "--new", "plan Porto"]).await);

    // `credits` reads no conversation, but catches up all the same.
    ok(&run_cli(desktop.path(), &["credits"]).await);
    network.set_up(false);
    assert_eq!(
        shown_contents(desktop.path(), "CH-000001").await,
        ["remember Lisbon", "Mock reply to: remember Lisbon"]
    );
    let renamed = cli_json(desktop.path(), &["sessions", "rename", "1", "Lisbon notes"]).await;
    assert_eq!(renamed["title"], "Lisbon notes", "{renamed}");
    ok(&run_cli(desktop.path(), &["sessions", "delete", "CH-000002"]).await);
    let listed = |dir: &Path| {
        let dir = dir.to_owned();
        async move {
            let page = cli_json(&dir, &["sessions", "list"]).await;
            page["sessions"]
                .as_array()
                .expect("sessions")
                .iter()
                .map(|s| (s["displayId"].clone(), s["title"].clone()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        listed(laptop.path()).await.len(),
        2,
        "not on the server yet"
    );

    network.set_up(true);
    ok(&run_cli(desktop.path(), &["credits"]).await);
    assert_eq!(
        listed(laptop.path()).await,
        [(Value::from("CH-000001"), Value::from("Lisbon notes"))],
        "the edits made offline are on the server, once"
    );
    let again = cli_json(desktop.path(), &["sync"]).await;
    assert_eq!(again["pushed"], 0, "nothing left queued: {again}");
}

/// Projects and tasks made with the server down are queued on this
/// computer; a device killed (`kill -9`) after the server made the project
/// but before it heard so sends it again at its next sync, and the server
/// makes it once: the creation key binds the two requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_project_made_offline_is_made_once_though_the_device_was_killed_mid_send() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let target: SocketAddr = h.a.url.trim_start_matches("http://").parse().unwrap();
    let network = banter_mocks::gateway::Gateway::start(target).await.unwrap();
    let desktop = TempDir::new().unwrap();
    let status = signed_in(desktop.path(), &network.url()).await;
    let caller = Caller {
        user_id: status["userId"].as_str().unwrap().to_string(),
        device_id: status["deviceId"].as_str().unwrap().to_string(),
    };
    let on_server = banter_server::routes::projects::projects_for(&h.a.state, &caller);
    ok(&run_cli(desktop.path(), &["credits"]).await);

    network.set_up(false);
    let trip = cli_json(desktop.path(), &["projects", "new", "Trip"]).await;
    assert_eq!(trip["displayId"], "PR-L000001", "{trip}");
    let flights = cli_json(
        desktop.path(),
        &["tasks", "add", "PR-L000001", "Book flights"],
    )
    .await;
    assert_eq!(flights["displayId"], "TK-L000001", "{flights}");
    ok(&run_cli(desktop.path(), &["tasks", "done", "TK-L000001"]).await);
    assert!(on_server
        .list_projects(false, None)
        .await
        .unwrap()
        .is_empty());

    // Back online, but the server's answers are held: the sync sends the
    // project, the server makes it, and the device is killed waiting.
    network.set_up(true);
    network.set_answering(false);
    let mut sync = cli(desktop.path());
    sync.arg("sync").stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = sync.spawn().unwrap();
    let given_up = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while on_server
        .list_projects(false, None)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < given_up,
            "the project never reached the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    network.set_answering(true);

    let synced = cli_json(desktop.path(), &["sync"]).await;
    assert_eq!(synced["pushed"], 3, "{synced}");
    let projects = on_server.list_projects(false, None).await.unwrap();
    assert_eq!(
        projects
            .iter()
            .map(|p| (p.name.as_str(), p.total_tasks, p.open_tasks))
            .collect::<Vec<_>>(),
        [("Trip", 1, 0)],
        "made once, with its task done"
    );
    let listed = cli_json(desktop.path(), &["projects", "list"]).await;
    assert_eq!(listed[0]["displayId"], "PR-000001", "{listed}");
    let tasks = cli_json(desktop.path(), &["tasks", "list"]).await;
    assert_eq!(
        (&tasks[0]["displayId"], &tasks[0]["status"]),
        (&Value::from("TK-000001"), &Value::from("done")),
        "{tasks}"
    );
    // The provisional ids the user saw keep naming the same records.
    let packed = cli_json(desktop.path(), &["tasks", "add", "PR-L000001", "Pack"]).await;
    assert_eq!(packed["projectDisplayId"], "PR-000001", "{packed}");
    let again = cli_json(desktop.path(), &["tasks", "done", "TK-L000001"]).await;
    assert_eq!(again["displayId"], "TK-000001", "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sync_without_a_sign_in_says_how_to_sign_in() {
    let dir = TempDir::new().unwrap();
    let error = fails(&run_cli(dir.path(), &["--json", "sync"]).await, 1);
    assert_eq!(error["code"], "not_signed_in", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("account login"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chat_attach_uploads_files_to_the_server() {
    let oidc = oidc().await;
    let azure = azure(0).await;
    let h = chatting(&oidc, &azure, "o3-mini").await;
    let dir = TempDir::new().unwrap();
    signed_in(dir.path(), &h.a.url).await;
    let files = TempDir::new().unwrap();
    let notes = files.path().join("notes.txt");
    std::fs::write(&notes, "Lisbon, Porto, Faro\n").unwrap();
    let png = files.path().join("map.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();

    // The server's model cannot see: the image is refused there, for nothing.
    let png_arg = png.to_str().unwrap();
    let refused = fails(
        &run_cli(
            dir.path(),
            &["--json", "chat", "--attach", png_arg, "where?"],
        )
        .await,
        1,
    );
    assert_eq!(refused["code"], "model_cannot_see", "{refused}");

    let notes_arg = notes.to_str().unwrap();
    let sent = cli_json(dir.path(), &["chat", "--attach", notes_arg, "plan it"]).await;
    assert_eq!(
        sent["balance"], 97,
        "one paid action, the refusal cost nothing"
    );
    let asked = azure.requests().last().unwrap().body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(asked.contains("Attached file `notes.txt`:"), "{asked}");
    assert!(asked.contains("Lisbon, Porto, Faro"), "{asked}");
    // Stored by the server, beside the message.
    let rows = pg_count(
        &h,
        "SELECT COUNT(*) FROM message_attachments WHERE name = $1",
        "notes.txt",
    )
    .await;
    assert_eq!(rows, 1);
}
