//! `GET /v1/models`: the operator's chat models as a device's model picker
//! shows them (names and what each can do; never an endpoint or a key).

use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use banter_core::providers::ModelSummary;

/// Every configured model, the default marked. Signed-in callers only: the
/// list says which providers an operator pays for.
pub async fn list(State(state): State<AppState>, _caller: Caller) -> Json<Vec<ModelSummary>> {
    Json(state.model.summaries())
}
