//! `hosted-stack`: everything hosted mode needs, on 127.0.0.1, for
//! `make demo-hosted` and the real app's sign-in tests — a throwaway
//! Postgres cluster of Debian's package (under `target/pg/`, run as an
//! unprivileged user when started as root), mock OpenID Connect, mock Azure
//! OpenAI and mock Autumn in this process, and two `banter-server`
//! processes (the binary beside this one) on one database.
//!
//! Prints `KEY=value` lines (`BANTER_SERVER_URL`, `BANTER_SERVER_URL_B`,
//! `MOCK_OIDC_URL`, `MOCK_AZURE_URL`, `MOCK_AUTUMN_URL`, and with
//! `--keyring` `DBUS_SESSION_BUS_ADDRESS`), then `ready`, and
//! runs until SIGTERM or Ctrl-C; then the servers are shut down gracefully
//! and the cluster with this process.
//!
//! `BANTER_SERVER_URL` reaches the first server through a gateway
//! (`banter_mocks::gateway`) that a line on standard input takes down
//! (`down`) or brings back (`up`), each answered `network down` / `network
//! up`: a signed-in device losing its network, for the offline tests and
//! the demo.

use anyhow::{bail, Context};
use banter_mocks::autumn::{start_autumn, AutumnConfig};
use banter_mocks::azure::{self, MockConfig};
use banter_mocks::gateway::Gateway;
use banter_mocks::oidc::{start_oidc, OidcConfig};
use clap::Parser;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The key mock Autumn accepts (the servers hold it; the app never does).
const AUTUMN_KEY: &str = "am_sk_test_mock";
/// The Svix secret mock Autumn signs its webhooks with.
const WEBHOOK_SECRET: &str = "whsec_ZGVtby13ZWJob29rLXNlY3JldA==";

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Postgres, two banter-servers and the mock services, on 127.0.0.1"
)]
struct Args {
    /// The test user mock-oidc signs in without asking (`sub` or email);
    /// empty shows its page with one button per user
    #[arg(long, default_value = "alice@example.test")]
    default_user: String,
    /// The mock model's deployment (its name picks a behaviour, see the
    /// mock's scenarios)
    #[arg(long, default_value = "o3-mini-demo-mock-slow")]
    deployment: String,
    /// Milliseconds between words of the mock's slow replies
    #[arg(long, default_value_t = 25)]
    slow_ms: u64,
    /// Also start a throwaway Secret Service (a private D-Bus session bus
    /// with gnome-keyring) and print its `DBUS_SESSION_BUS_ADDRESS`, for an
    /// app under test to keep its tokens in
    #[arg(long)]
    keyring: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let cluster = banter_mocks::postgres::shared()?;
    let database = cluster.fresh_database()?;
    let oidc = start_oidc(
        OidcConfig {
            default_user: (!args.default_user.is_empty()).then(|| args.default_user.clone()),
            ..OidcConfig::default()
        },
        loopback,
    )
    .await?;
    let azure = azure::start(MockConfig {
        slow_ms: args.slow_ms,
        ..MockConfig::default()
    })
    .await?;
    let autumn = start_autumn(
        AutumnConfig {
            secret_key: AUTUMN_KEY.into(),
            payment_lag: Duration::from_millis(1500),
        },
        loopback,
    )
    .await?;
    let env = [
        ("DATABASE_URL", database),
        ("BANTER_OIDC_ISSUER", oidc.issuer()),
        ("BANTER_OIDC_CLIENT_ID", oidc.client_id().to_string()),
        ("AZURE_OPENAI_ENDPOINT", azure.base_url()),
        ("AZURE_OPENAI_DEPLOYMENT", args.deployment.clone()),
        ("AZURE_OPENAI_API_VERSION", "2025-04-01-preview".into()),
        ("AZURE_OPENAI_KEY", MockConfig::default().api_key),
        ("AUTUMN_API_URL", autumn.base_url()),
        ("AUTUMN_SECRET_KEY", AUTUMN_KEY.into()),
        ("AUTUMN_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
    ];
    let keyring = args
        .keyring
        .then(banter_mocks::secret_service::SecretService::start)
        .transpose()?;
    let a = Server::start("demo-a", &env)?;
    let b = Server::start("demo-b", &env)?;
    autumn.send_webhooks_to(&format!("{}/v1/webhooks/autumn", a.url), WEBHOOK_SECRET)?;
    let network = Gateway::start(a.addr()?).await?;
    let mut out = std::io::stdout();
    for (key, value) in [
        ("BANTER_SERVER_URL", network.url()),
        ("BANTER_SERVER_URL_B", b.url.clone()),
        ("MOCK_OIDC_URL", oidc.base_url()),
        ("MOCK_AZURE_URL", azure.base_url()),
        ("MOCK_AUTUMN_URL", autumn.base_url()),
    ] {
        writeln!(out, "{key}={value}")?;
    }
    if let Some(keyring) = &keyring {
        writeln!(out, "DBUS_SESSION_BUS_ADDRESS={}", keyring.address())?;
    }
    writeln!(out, "ready")?;
    out.flush()?;
    tokio::select! {
        signal = wait_for_a_signal() => signal?,
        read = switch_network(&network) => read?,
    }
    drop((a, b, keyring));
    cluster.stop();
    Ok(())
}

async fn wait_for_a_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
    Ok(())
}

/// Takes the network down or brings it back on each `down` / `up` line of
/// standard input; returns at its end (then the stack waits for a signal).
async fn switch_network(network: &Gateway) -> anyhow::Result<()> {
    // A thread of its own: a blocking read of stdin cannot be cancelled,
    // and one in the runtime would hold up its shutdown.
    let (lines, mut read) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = read.recv().await {
        let up = match line.trim() {
            "down" => false,
            "up" => true,
            _ => continue,
        };
        network.set_up(up);
        let mut out = std::io::stdout();
        writeln!(out, "network {}", if up { "up" } else { "down" })?;
        out.flush()?;
    }
    std::future::pending().await
}

/// A `banter-server` process; shut down gracefully (SIGTERM) when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// The address it listens on.
    fn addr(&self) -> anyhow::Result<SocketAddr> {
        let host = self.url.trim_start_matches("http://");
        host.parse()
            .with_context(|| format!("the server's address in {}", self.url))
    }

    fn start(name: &str, env: &[(&str, String)]) -> anyhow::Result<Self> {
        let binary = beside_me("banter-server")?;
        let mut child = Command::new(&binary)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("BANTER_LISTEN", "127.0.0.1:0")
            .env("BANTER_INSTANCE_ID", name)
            .env("BANTER_SHUTDOWN_GRACE_SECS", "2")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("the server's output")?;
        let mut lines = BufReader::new(stdout);
        let url = loop {
            // Its log lines come before the one that names its address.
            let mut line = String::new();
            if lines.read_line(&mut line)? == 0 {
                let _ = child.kill();
                bail!("banter-server {name} exited before it listened");
            }
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                break url.to_string();
            }
            eprint!("{line}");
        };
        // Its logs (JSON lines) go on to stderr; stdout is ours to speak.
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                eprintln!("{line}");
            }
        });
        Ok(Self { url, child })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = self.child.wait();
    }
}

/// A binary of the workspace in this binary's directory.
fn beside_me(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("where this binary is")?;
    let path = me.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} is missing: build the workspace first (`make build`)",
            path.display()
        );
    }
    Ok(path)
}
