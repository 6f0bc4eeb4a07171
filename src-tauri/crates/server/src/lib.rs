//! banter-server: hosted mode's door onto banter-core. It holds the operator's
//! keys and the authoritative ledger and history on Postgres; every rule it
//! applies is the core's (see `docs/architecture.md`, "Hosted mode").
//!
//! Stateless: any number of instances share one Postgres, and nothing that
//! matters lives in one instance's memory.

pub mod accounts;
pub mod auth;
pub mod changes;
pub mod config;
pub mod error;
pub mod health;
pub mod instances;
pub mod listener;
pub mod models;
pub mod routes;
pub mod state;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::serve::ListenerExt;
use axum::Router;
use state::AppState;
use std::future::Future;
use tokio::net::TcpListener;

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v1/auth/config", get(auth::sign_in::config))
        .route("/v1/auth/token", post(auth::sign_in::token))
        .route("/v1/account", get(routes::account::me))
        .route("/v1/devices", get(routes::account::list_devices))
        .route("/v1/auth/refresh", post(routes::account::refresh))
        .route("/v1/auth/sign-out", post(routes::account::sign_out))
        .route(
            "/v1/auth/sign-out-others",
            post(routes::account::sign_out_others),
        )
        .route("/v1/credits", get(routes::credits::balance))
        .route("/v1/models", get(routes::models::list))
        .route("/v1/ledger", get(routes::credits::ledger))
        .route("/v1/changes", get(routes::changes::pull))
        .route("/v1/changes/stream", get(routes::changes::stream))
        .route(
            "/v1/sessions",
            get(routes::sessions::list).post(routes::sessions::create),
        )
        .route(
            "/v1/sessions/{id}",
            get(routes::sessions::get)
                .patch(routes::sessions::rename)
                .delete(routes::sessions::delete),
        )
        .route(
            "/v1/sessions/{id}/messages",
            get(routes::sessions::messages),
        )
        .route("/v1/sessions/{id}/export", get(routes::sessions::export))
        .route("/v1/sessions/{id}/branch", post(routes::sessions::branch))
        .route(
            "/v1/sessions/{id}/settings",
            put(routes::sessions::settings),
        )
        .route(
            "/v1/chat/send",
            post(routes::chat::send).layer(DefaultBodyLimit::max(routes::chat::MAX_SEND_BYTES)),
        )
        .route("/v1/attachments/{id}", get(routes::sessions::attachment))
        .route("/v1/chat/regenerate", post(routes::chat::regenerate))
        .route("/v1/chat/stop", post(routes::chat::stop))
        .route(
            "/v1/projects",
            get(routes::projects::list).post(routes::projects::create),
        )
        .route("/v1/projects/generate", post(routes::paid_jobs::generate))
        .route(
            "/v1/projects/{id}",
            get(routes::projects::get)
                .patch(routes::projects::update)
                .delete(routes::projects::delete),
        )
        .route("/v1/projects/{id}/archive", post(routes::projects::archive))
        .route("/v1/projects/{id}/tasks", post(routes::projects::add_task))
        .route("/v1/projects/{id}/pages", get(routes::projects::list_pages))
        .route("/v1/tasks", get(routes::projects::list_tasks))
        .route(
            "/v1/tasks/{id}",
            get(routes::projects::get_task)
                .patch(routes::projects::update_task)
                .delete(routes::projects::delete_task),
        )
        .route(
            "/v1/pages/{id}",
            get(routes::projects::get_page).delete(routes::projects::delete_page),
        )
        .route("/v1/scrape", post(routes::paid_jobs::scrape))
        .route(
            "/v1/import/sessions",
            post(routes::import::sessions)
                .layer(DefaultBodyLimit::max(routes::import::MAX_IMPORT_BYTES)),
        )
        .route(
            "/v1/import/projects",
            post(routes::import::projects)
                .layer(DefaultBodyLimit::max(routes::import::MAX_IMPORT_BYTES)),
        )
        .route("/v1/purchases/checkout", post(routes::purchases::checkout))
        .route("/v1/purchases/pending", get(routes::purchases::pending))
        .route("/v1/purchases/refresh", post(routes::purchases::refresh))
        .route(
            "/v1/webhooks/autumn",
            post(routes::webhooks::autumn)
                .layer(DefaultBodyLimit::max(routes::webhooks::MAX_WEBHOOK_BYTES)),
        )
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then stops
/// taking requests and lets the ones in flight finish (change streams are
/// ended at once). Replies still
/// streaming (their clients may have gone) get the state's shutdown grace
/// to end; then they are stopped, which keeps a reply that had text
/// (charged once) and refunds one that had none. Returns once every reply
/// has ended.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listening = tokio::spawn(listener::listen(state.clone()));
    let state_pool = state.store.pool().clone();
    let announcing = tokio::spawn(changes::wakes::announce(state_pool.clone()));
    let (replies, claims, grace) = (
        state.replies.clone(),
        state.claims.clone(),
        state.shutdown_grace,
    );
    let (begun, mut shutting_down) = tokio::sync::watch::channel(false);
    let streams = state.shutting_down.clone();
    let closing = replies.clone();
    let stopper = tokio::spawn(async move {
        if shutting_down.changed().await.is_ok() {
            // No new reply starts here from now on (see `routes::chat`).
            closing.close();
            tokio::time::sleep(grace).await;
            let stopped = claims.stop_all();
            if stopped > 0 {
                tracing::info!(stopped, "stopped replies still streaming at shutdown");
            }
        }
    });
    // Events are small writes: without TCP_NODELAY, Nagle's algorithm
    // holds each one back until the client acknowledges the last, and a
    // delayed ACK makes that ~40 ms per reply.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = begun.send(true);
            // Change streams never end by themselves: end them now, or
            // the graceful shutdown would wait for them forever.
            streams.cancel();
        })
        .await;
    replies.close();
    replies.wait().await;
    stopper.abort();
    listening.abort();
    // The last replies' changes are announced before this instance goes
    // (another instance would, too, at its next round).
    announcing.abort();
    if let Err(error) = changes::wakes::announce_once(&state_pool).await {
        tracing::warn!(%error, "could not announce the last changes");
    }
    served
}
