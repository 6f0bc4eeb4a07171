//! `mock-oidc`: the mock OpenID Connect issuer as a process, for the hosted
//! demo and the real-app sign-in tests. Test knobs: `POST /__mock/misbehave`
//! and `POST /__mock/rotate` (see `banter_mocks::oidc`).

use anyhow::Context;
use banter_mocks::oidc::{start_oidc, OidcConfig};
use banter_mocks::process::{announce_and_wait, ListenArgs};
use clap::Parser;

/// A mock OpenID Connect issuer on a loopback address.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    listen: ListenArgs,
    /// The one client's id
    #[arg(long, default_value = "banter-desktop")]
    client_id: String,
    /// Require this client secret at the token endpoint (else a public client)
    #[arg(long)]
    client_secret: Option<String>,
    /// A registered redirect URI (repeatable; replaces the defaults
    /// `banter://auth/callback` and `http://127.0.0.1/callback`)
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Sign this test user (`sub` or email) in at once, without the page
    #[arg(long)]
    default_user: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let defaults = OidcConfig::default();
    let config = OidcConfig {
        client_id: args.client_id,
        client_secret: args.client_secret,
        redirect_uris: if args.redirect_uris.is_empty() {
            defaults.redirect_uris
        } else {
            args.redirect_uris
        },
        users: defaults.users,
        default_user: args.default_user,
    };
    let addr = args.listen.addr();
    let server = start_oidc(config, addr)
        .await
        .with_context(|| format!("mock-oidc: starting on {addr}"))?;
    announce_and_wait(&server.base_url()).await
}
