//! Importing a device's local-mode history into the caller's account:
//! `POST /v1/import/sessions` (sessions with their messages) and
//! `POST /v1/import/projects` (projects with their tasks and saved pages).
//! A batch is checked whole before anything is written
//! ([`SessionBatch::check`]), then written in one transaction with its
//! import keys ([`super::import_rows`]): sent again, it answers the ids and
//! content digests of the first time and creates nothing. Ids and display ids are the
//! account's; times, order and text are kept; nothing is charged.

use super::import_rows;
use crate::auth::Caller;
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use banter_core::hosted::import_wire::{BatchAnswer, ProjectBatch, SessionBatch, MAX_BATCH_BYTES};
use banter_core::validate::ValidationError;

pub use super::import_rows::IMPORT_LOCK_CLASS;

/// The largest body the import routes read (see [`MAX_BATCH_BYTES`]).
pub const MAX_IMPORT_BYTES: usize = MAX_BATCH_BYTES;

pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    batch: Result<Json<SessionBatch>, JsonRejection>,
) -> HttpResult<Json<BatchAnswer>> {
    let Json(batch) = batch.map_err(unreadable)?;
    batch.check().map_err(banter_core::Error::from)?;
    let answer = import_rows::import_sessions(
        state.store.pool(),
        &caller.user_id,
        &batch,
        state.clock.now(),
    )
    .await?;
    tracing::info!(
        sessions = batch.sessions.len(),
        created = answer.units.iter().filter(|u| u.created).count(),
        messages = answer.created.messages,
        "sessions imported"
    );
    Ok(Json(answer))
}

pub async fn projects(
    State(state): State<AppState>,
    caller: Caller,
    batch: Result<Json<ProjectBatch>, JsonRejection>,
) -> HttpResult<Json<BatchAnswer>> {
    let Json(batch) = batch.map_err(unreadable)?;
    batch.check().map_err(banter_core::Error::from)?;
    let answer = import_rows::import_projects(
        state.store.pool(),
        &caller.user_id,
        &batch,
        state.clock.now(),
    )
    .await?;
    tracing::info!(
        projects = batch.projects.len(),
        created = answer.units.iter().filter(|u| u.created).count(),
        tasks = answer.created.tasks,
        pages = answer.created.pages,
        "projects imported"
    );
    Ok(Json(answer))
}

/// A body that is not a batch (not JSON, a wrong shape, too large) is
/// `invalid_input` naming the body, like any other bad input.
fn unreadable(rejection: JsonRejection) -> HttpError {
    let reason = if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        format!("an import batch is at most {MAX_IMPORT_BYTES} bytes")
    } else {
        rejection.body_text()
    };
    banter_core::Error::from(ValidationError::Invalid {
        field: "body",
        reason,
    })
    .into()
}
