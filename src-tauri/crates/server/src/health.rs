//! Probes for a load balancer or an orchestrator: `/healthz` says the
//! process answers; `/readyz` says it can serve (Postgres reachable and
//! every migration this build knows applied).

use crate::error::HttpError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use banter_core::ErrorCode;
use serde_json::{json, Value};

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    match state.store.ready().await {
        Ok(true) => Ok(Json(json!({ "status": "ready" }))),
        Ok(false) => Err(HttpError::new(
            ErrorCode::ServerNotReady,
            "migrations are not applied yet",
        )),
        Err(e) => {
            tracing::warn!(code = %e.code(), "readiness check: the database does not answer");
            Err(HttpError::new(
                ErrorCode::ServerNotReady,
                "the database does not answer",
            ))
        }
    }
}
