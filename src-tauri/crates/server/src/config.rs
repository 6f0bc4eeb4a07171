//! The server's configuration: flags, each with an environment variable
//! (the names are a fixed interface operators and scripts rely on; see
//! `docs/deploy.md`). Secrets are read from the environment or flags only,
//! are hidden from `--help`, and print as `***` in `Debug`.

use banter_core::providers::config::Secret;
use clap::Parser;
use std::net::SocketAddr;

/// Where a server listens unless told otherwise: loopback, so a server
/// started by hand is not exposed before its operator means it to be.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// Postgres connections per instance. Few: a connection is held only for a
/// statement or a short transaction (never while a reply streams), and more
/// backends than a Postgres has cores only contend — on a 2-core Postgres,
/// two instances of 8 sent about as many as of 4, 5–25 % more than of 16
/// and a quarter to a third more than of 32 (docs/benchmarks.md, "Hosted
/// sends"). One of them is held for as long as the instance runs by its
/// listener (`listener.rs`: stop requests and the change feed's wake-ups,
/// however many change streams are open), so requests share the rest.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// banter-server: the hosted side of Banter (accounts, the authoritative
/// credit ledger and history on Postgres, the provider and billing keys).
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Config {
    /// Postgres URL, e.g. postgres://banter@db/banter
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Secret,
    /// Address to listen on
    #[arg(long, env = "BANTER_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Postgres connections this instance may hold
    #[arg(long, env = "BANTER_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: u32,
    /// The OpenID Connect issuer accounts sign in with (its discovery
    /// document is at ISSUER/.well-known/openid-configuration)
    #[arg(long, env = "BANTER_OIDC_ISSUER")]
    pub oidc_issuer: String,
    /// This server's client id at the issuer
    #[arg(long, env = "BANTER_OIDC_CLIENT_ID")]
    pub oidc_client_id: String,
    /// The client secret, if the issuer wants one for the code exchange
    #[arg(long, env = "BANTER_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<Secret>,
    /// Autumn's secret key; without it, purchases are off
    #[arg(long, env = "AUTUMN_SECRET_KEY", hide_env_values = true)]
    pub autumn_secret_key: Option<Secret>,
    /// Autumn's API (a test server's URL in tests and demos)
    #[arg(long, env = "AUTUMN_API_URL", default_value = banter_core::billing::autumn::DEFAULT_BASE_URL)]
    pub autumn_api_url: String,
    /// The signing secret (`whsec_…`) of the Autumn webhook endpoint
    #[arg(long, env = "AUTUMN_WEBHOOK_SECRET", hide_env_values = true)]
    pub autumn_webhook_secret: Option<Secret>,
    /// Seconds replies in flight may go on after SIGTERM before they are
    /// stopped (see `state::DEFAULT_SHUTDOWN_GRACE`)
    #[arg(long, env = "BANTER_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,
    /// A name for this instance in logs and on the replies it streams
    /// (each process adds its own suffix); `server` if unset
    #[arg(long, env = "BANTER_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// A JSON file listing the chat models beside the one `AZURE_OPENAI_*`
    /// sets, each named and with the variable holding its key (see
    /// `models.rs`)
    #[arg(long, env = crate::models::ENV_MODELS_FILE)]
    pub models_file: Option<std::path::PathBuf>,
}

impl Config {
    /// This process's name: the configured one (or `server`) and a random
    /// suffix, new at every start. The suffix is what makes a restarted
    /// process another writer: the replies its previous life left
    /// `streaming` belong to a name whose heartbeat has stopped, so they
    /// are recovered; and two replicas given one name never mistake each
    /// other's replies for their own.
    pub fn instance_name(&self) -> String {
        let base = self.instance_id.as_deref().unwrap_or("server");
        format!("{base}-{}", uuid::Uuid::new_v4().simple())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let config = Config::try_parse_from([
            "banter-server",
            "--database-url",
            "postgres://u:hunter2@db/banter",
            "--oidc-issuer",
            "https://id.example",
            "--oidc-client-id",
            "banter",
            "--oidc-client-secret",
            "s3cret",
            "--autumn-secret-key",
            "am_sk_hush",
            "--autumn-webhook-secret",
            "whsec_quiet",
        ])
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert_eq!(config.listen, DEFAULT_LISTEN.parse().unwrap());
    }
}
