//! `mock-azure-openai`: the mock as a process, for `make demo` and for
//! clients in other languages (the Python `openai` package checks it).

use anyhow::Context;
use banter_mocks::process::{announce_and_wait, ListenArgs};
use banter_mocks::{start_on, MockConfig};
use clap::Parser;

/// A mock Azure OpenAI server on a loopback address.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    listen: ListenArgs,
    /// The API key the mock accepts
    #[arg(long, default_value = "test-key")]
    api_key: String,
    /// Pause between words for deployments named `…slow…`
    #[arg(long, default_value_t = 200)]
    slow_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = MockConfig {
        api_key: args.api_key,
        slow_ms: args.slow_ms,
    };
    let addr = args.listen.addr();
    let server = start_on(config, addr)
        .await
        .with_context(|| format!("mock-azure-openai: starting on {addr}"))?;
    let waited = announce_and_wait(&server.base_url()).await;
    server.shutdown();
    waited
}
