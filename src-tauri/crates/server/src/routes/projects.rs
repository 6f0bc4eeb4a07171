//! The account's projects, their tasks and saved pages: list, create, read,
//! update (rename, archive), delete. The core's `ProjectStore` on Postgres
//! does the work; every call is scoped to the caller's account, so another
//! account's record is simply not found (its existence is not revealed).

use crate::auth::Caller;
use crate::error::HttpResult;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use banter_core::db::postgres::PgStore;
use banter_core::ids::{IdKind, RecordRef};
use banter_core::projects::{
    NewTask, Project, ProjectSource, ProjectStore, ProjectUpdate, Task, TaskFilter, TaskStatus,
    TaskUpdate,
};
use serde::Deserialize;

/// The caller's projects, tasks and saved pages.
pub fn projects_for(state: &AppState, caller: &Caller) -> ProjectStore<PgStore> {
    ProjectStore::new(
        state.store.clone(),
        state.clock.clone(),
        caller.user_id.clone(),
    )
}

/// A project named by row id or `PR-…` id.
pub fn project_ref(raw: &str) -> HttpResult<RecordRef> {
    Ok(RecordRef::parse(IdKind::Project, raw).map_err(banter_core::Error::from)?)
}

fn task_ref(raw: &str) -> HttpResult<RecordRef> {
    Ok(RecordRef::parse(IdKind::Task, raw).map_err(banter_core::Error::from)?)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    #[serde(default)]
    pub include_archived: bool,
    pub limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> HttpResult<Json<Vec<Project>>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(
        projects.list_projects(q.include_archived, q.limit).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct NewProject {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A device's creation key: the same key again returns the project it
    /// made (core `projects::keyed`).
    #[serde(default)]
    pub key: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<NewProject>,
) -> HttpResult<Json<Project>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(match &req.key {
        Some(key) => {
            projects
                .create_project_once(&req.name, &req.description, key)
                .await?
        }
        None => projects.create_project(&req.name, &req.description).await?,
    }))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Json<Project>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(projects.get_project(&project_ref(&id)?).await?))
}

/// Rename, describe, archive or restore: the fields given change.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ProjectUpdate>,
) -> HttpResult<Json<Project>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(
        projects.update_project(&project_ref(&id)?, req).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct Archive {
    /// `false` restores an archived project.
    #[serde(default = "archive_by_default")]
    pub archived: bool,
}

fn archive_by_default() -> bool {
    true
}

pub async fn archive(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Option<Json<Archive>>,
) -> HttpResult<Json<Project>> {
    let archived = body.is_none_or(|Json(a)| a.archived);
    let projects = projects_for(&state, &caller);
    Ok(Json(
        projects.set_archived(&project_ref(&id)?, archived).await?,
    ))
}

/// Deletes the project with its tasks and saved pages.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    let projects = projects_for(&state, &caller);
    projects.delete_project(&project_ref(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskQuery {
    /// Only this project's tasks (row id or `PR-…`).
    pub project: Option<String>,
    pub status: Option<TaskStatus>,
    /// Only tasks not done (and, across projects, of active projects).
    #[serde(default)]
    pub open_only: bool,
}

pub async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<TaskQuery>,
) -> HttpResult<Json<Vec<Task>>> {
    let filter = TaskFilter {
        project: q.project.as_deref().map(project_ref).transpose()?,
        status: q.status,
        open_only: q.open_only,
    };
    let projects = projects_for(&state, &caller);
    Ok(Json(projects.list_tasks(&filter).await?))
}

pub async fn add_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<KeyedTask>,
) -> HttpResult<Json<Task>> {
    let projects = projects_for(&state, &caller);
    let project = project_ref(&id)?;
    Ok(Json(match &req.key {
        Some(key) => projects.add_task_once(&project, req.task, key).await?,
        None => projects.add_task(&project, req.task).await?,
    }))
}

/// A new task, with a device's creation key as [`NewProject`]'s.
#[derive(Debug, Deserialize)]
pub struct KeyedTask {
    #[serde(flatten)]
    pub task: NewTask,
    #[serde(default)]
    pub key: Option<String>,
}

pub async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Json<Task>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(projects.get_task(&task_ref(&id)?).await?))
}

/// Status, title, description, priority or due date: the fields given change.
pub async fn update_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<TaskUpdate>,
) -> HttpResult<Json<Task>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(projects.update_task(&task_ref(&id)?, req).await?))
}

pub async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    let projects = projects_for(&state, &caller);
    projects.delete_task(&task_ref(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A project's saved pages, newest first.
pub async fn list_pages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Json<Vec<ProjectSource>>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(projects.list_sources(&project_ref(&id)?).await?))
}

pub async fn get_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> HttpResult<Json<ProjectSource>> {
    let projects = projects_for(&state, &caller);
    Ok(Json(projects.get_source(id).await?))
}

pub async fn delete_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> HttpResult<StatusCode> {
    let projects = projects_for(&state, &caller);
    projects.delete_source(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
