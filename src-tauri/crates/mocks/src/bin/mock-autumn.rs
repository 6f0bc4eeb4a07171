//! `mock-autumn`: the mock Autumn billing server as a process, for `make
//! demo`, the real-app tests and the `autumn-js` client check.

use anyhow::Context;
use banter_mocks::autumn::{start_autumn, AutumnConfig};
use banter_mocks::process::{announce_and_wait, ListenArgs};
use clap::Parser;
use std::time::Duration;

/// A mock Autumn server on a loopback address.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    listen: ListenArgs,
    /// The secret key the mock accepts
    #[arg(long, default_value = "am_sk_test_mock")]
    secret_key: String,
    /// Milliseconds between paying and the invoice showing (webhook lag)
    #[arg(long, default_value_t = 0)]
    payment_lag_ms: u64,
    /// Announce each paid checkout with a signed webhook to this loopback URL
    #[arg(long, requires = "webhook_secret")]
    webhook_url: Option<String>,
    /// The Svix signing secret (`whsec_<base64>`) for --webhook-url
    #[arg(long, requires = "webhook_url")]
    webhook_secret: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = AutumnConfig {
        secret_key: args.secret_key,
        payment_lag: Duration::from_millis(args.payment_lag_ms),
    };
    let addr = args.listen.addr();
    let server = start_autumn(config, addr)
        .await
        .with_context(|| format!("mock-autumn: starting on {addr}"))?;
    if let (Some(url), Some(secret)) = (&args.webhook_url, &args.webhook_secret) {
        server
            .send_webhooks_to(url, secret)
            .context("mock-autumn: --webhook-secret")?;
    }
    announce_and_wait(&server.base_url()).await
}
