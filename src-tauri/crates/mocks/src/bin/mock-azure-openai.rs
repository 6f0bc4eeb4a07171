//! `mock-azure-openai`: the mock as a process, for `make demo` and for
//! clients in other languages (the Python `openai` package checks it).

use banter_mocks::{start_on, MockConfig};
use clap::Parser;
use std::net::{IpAddr, SocketAddr};

/// A mock Azure OpenAI server on a loopback address.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Loopback address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The API key the mock accepts
    #[arg(long, default_value = "test-key")]
    api_key: String,
    /// Pause between words for deployments named `…slow…`
    #[arg(long, default_value_t = 200)]
    slow_ms: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = MockConfig {
        api_key: args.api_key,
        slow_ms: args.slow_ms,
    };
    let server = match start_on(config, SocketAddr::new(args.host, args.port)).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("mock-azure-openai: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let code = banter_mocks::announce_and_wait(&server.base_url()).await;
    server.shutdown();
    code
}
