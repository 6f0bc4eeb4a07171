//! The paid project actions on the server: AI project generation and URL
//! scraping. The core's `ProjectGenerator` and `Scraper` on Postgres do the
//! work (pay with the client's idempotency key, run, store or refund);
//! the scraper runs under `ScrapePolicy::Hosted`, refusing every hop to a
//! loopback, private, link-local or metadata address.
//!
//! Each action runs as a task of its own, so a client that disconnects does
//! not cut it off between paying and storing: it ends as it would have
//! (stored, or failed and refunded), and a retry with the same key gets
//! that result. A job left running by an instance that died is refunded by
//! another (`crate::instances::recover`).

use super::projects::{project_ref, projects_for};
use crate::auth::Caller;
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use banter_core::db::postgres::PgStore;
use banter_core::jobs::Jobs;
use banter_core::projects::{GenerateRequest, GeneratedProject, ProjectGenerator};
use banter_core::scrape::{ScrapePolicy, ScrapeRequest, ScrapeResult, Scraper};
use banter_core::ErrorCode;
use serde::Deserialize;
use std::future::Future;

/// The caller's paid jobs, run by this instance.
fn jobs_for(state: &AppState, caller: &Caller) -> Jobs<PgStore> {
    Jobs::new(
        state.store.clone(),
        state.ledger.clone(),
        state.clock.clone(),
        caller.user_id.clone(),
        state.instance.clone(),
    )
}

/// Runs `action` as a task of its own and waits for its answer.
async fn run_detached<T: Send + 'static>(
    action: impl Future<Output = banter_core::Result<T>> + Send + 'static,
) -> HttpResult<T> {
    match tokio::spawn(action).await {
        Ok(result) => Ok(result?),
        Err(error) => {
            tracing::error!(%error, "a paid job's task ended abnormally");
            Err(HttpError::new(
                ErrorCode::Internal,
                "internal error; it was logged on the server",
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Generate {
    /// What the user wants (1–4,000 characters).
    pub prompt: String,
    /// Same key and prompt: the earlier result, charged once.
    pub idempotency_key: Option<String>,
}

pub async fn generate(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<Generate>,
) -> HttpResult<Json<GeneratedProject>> {
    let generator = ProjectGenerator::new(
        state.model.clone(),
        projects_for(&state, &caller),
        jobs_for(&state, &caller),
    );
    let request = GenerateRequest {
        prompt: req.prompt,
        idempotency_key: req.idempotency_key,
    };
    Ok(Json(
        run_detached(async move { generator.generate(request).await }).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scrape {
    pub url: String,
    /// Store the page on this project (row id or `PR-…`); absent, a new
    /// project named after the page is started.
    pub project: Option<String>,
    /// Same key and request: the earlier result, charged once.
    pub idempotency_key: Option<String>,
}

pub async fn scrape(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<Scrape>,
) -> HttpResult<Json<ScrapeResult>> {
    let scraper = Scraper::new(jobs_for(&state, &caller), projects_for(&state, &caller))?
        .with_policy(ScrapePolicy::Hosted)
        .with_network(state.scrape_network.clone());
    let request = ScrapeRequest {
        url: req.url,
        project: req.project.as_deref().map(project_ref).transpose()?,
        idempotency_key: req.idempotency_key,
    };
    Ok(Json(
        run_detached(async move { scraper.scrape(request).await }).await?,
    ))
}
