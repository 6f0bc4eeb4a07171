//! `mock-autumn`: the mock Autumn billing server as a process, for `make
//! demo`, the real-app tests and the `autumn-js` client check.

use banter_mocks::autumn::{start_autumn, AutumnConfig};
use clap::Parser;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A mock Autumn server on a loopback address.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The secret key the mock accepts
    #[arg(long, default_value = "am_sk_test_mock")]
    secret_key: String,
    /// Milliseconds between paying and the invoice showing (webhook lag)
    #[arg(long, default_value_t = 0)]
    payment_lag_ms: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = AutumnConfig {
        secret_key: args.secret_key,
        payment_lag: Duration::from_millis(args.payment_lag_ms),
    };
    let server = match start_autumn(config, SocketAddr::new(args.host, args.port)).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("mock-autumn: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    banter_mocks::announce_and_wait(&server.base_url()).await
}
