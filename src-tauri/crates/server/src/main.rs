//! `banter-server`: reads its configuration, migrates Postgres (under an
//! advisory lock, so instances starting together take turns), and serves
//! until SIGTERM or Ctrl-C. Logs are JSON lines without secrets or message
//! text.

use anyhow::Context;
use banter_core::account::ClientCredentials;
use banter_core::billing::autumn::AutumnClient;
use banter_core::billing::WebhookSecret;
use banter_core::clock::{Clock, SystemClock};
use banter_core::db::postgres::PgStore;
use banter_server::auth::sign_in::SignInProvider;
use banter_server::config::Config;
use banter_server::instances;
use banter_server::state::AppState;
use clap::Parser;
use std::sync::Arc;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    let store = PgStore::connect_lazy(config.database_url.expose(), config.max_connections)
        .context("DATABASE_URL")?;
    store.migrate().await.context("migrating the database")?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr().context("the listening address")?;
    let instance = config.instance_name();
    // Alive before answering anything: a reply stamped with a name no
    // heartbeat backs would look stranded to the other instances.
    instances::beat(store.pool(), &instance, SystemClock.now())
        .await
        .context("recording this instance")?;
    tracing::info!(%addr, instance, "banter-server listening");
    // The one line a parent process (tests, `make demo-hosted`) reads.
    println!("listening on http://{addr}");
    let sign_in = SignInProvider::new(
        config.oidc_issuer.clone(),
        ClientCredentials {
            client_id: config.oidc_client_id.clone(),
            client_secret: config
                .oidc_client_secret
                .as_ref()
                .map(|s| s.expose().to_string()),
        },
    );
    let mut state = AppState::new(store.clone(), Arc::new(SystemClock), instance, sign_in);
    match &config.autumn_secret_key {
        Some(key) => {
            let client = AutumnClient::new(&config.autumn_api_url, key.clone())
                .context("AUTUMN_API_URL / AUTUMN_SECRET_KEY")?;
            state = state.with_autumn(client);
        }
        None => tracing::warn!("AUTUMN_SECRET_KEY is not set: purchases are off"),
    }
    match &config.autumn_webhook_secret {
        Some(secret) => {
            let secret = WebhookSecret::parse(secret.expose()).context("AUTUMN_WEBHOOK_SECRET")?;
            state = state.with_webhook_secret(secret);
        }
        None => tracing::warn!("AUTUMN_WEBHOOK_SECRET is not set: webhooks are refused"),
    }
    let (models, default) =
        banter_server::models::operator_models(config.models_file.as_deref(), &|name| {
            std::env::var(name).ok()
        })
        .context("the chat models")?;
    if models.is_empty() {
        tracing::warn!(
            "neither AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_DEPLOYMENT nor BANTER_MODELS_FILE is set: chat is refused"
        );
    }
    for model in &models {
        tracing::info!(name = model.name, "chat model configured");
    }
    state = state.with_models(models, default);
    if let Some(secs) = config.shutdown_grace_secs {
        state = state.with_shutdown_grace(std::time::Duration::from_secs(secs));
    }
    let heartbeat = tokio::spawn(instances::keep_alive(state.clone()));
    let name = state.instance.clone();
    banter_server::serve(state, listener, shutdown_signal())
        .await
        .context("serving")?;
    heartbeat.abort();
    instances::leave(store.pool(), &name).await;
    store.close().await;
    tracing::info!("banter-server stopped");
    Ok(())
}

/// SIGTERM (what an orchestrator sends) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
