//! The start-up both mock binaries share: where to listen (`--host`,
//! `--port`) and the one line that tells a parent process the URL.

use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Where a mock binary listens; flattened into each binary's arguments.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Loopback address to listen on
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// Port (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

impl ListenArgs {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// For the mock binaries: prints exactly one line, `listening on URL` (a
/// test reads the port from it), then serves until Ctrl-C. The server is
/// shut down when the caller drops it.
pub async fn announce_and_wait(base_url: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    writeln!(out, "listening on {base_url}")
        .and_then(|()| out.flush())
        .context("writing the `listening on` line to stdout")?;
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
