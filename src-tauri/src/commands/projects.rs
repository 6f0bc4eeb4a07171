//! Projects and tasks, AI project generation and URL scraping. Costs,
//! validation and refunds live in the core (`banter_core::ledger::Costs`).

use crate::hosted;
use crate::state::AppCore;
use banter_core::ids::RecordRef;
use banter_core::projects::{
    GenerateRequest, GeneratedProject, NewTask, Project, ProjectSource, ProjectUpdate, Task,
    TaskFilter, TaskUpdate,
};
use banter_core::scrape::{ScrapeRequest, ScrapeResult};
use banter_core::ApiError;
use serde::Serialize;
use tauri::State;

/// A project with its tasks and saved pages.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDetail {
    pub project: Project,
    pub tasks: Vec<Task>,
    pub sources: Vec<ProjectSource>,
}

#[tauri::command]
#[specta::specta]
pub async fn list_projects(
    core: State<'_, AppCore>,
    include_archived: bool,
) -> Result<Vec<Project>, ApiError> {
    Ok(core
        .get()?
        .projects()
        .list_projects(include_archived, None)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_project(
    core: State<'_, AppCore>,
    project_id: i64,
) -> Result<ProjectDetail, ApiError> {
    let store = core.get()?.projects();
    let id = RecordRef::Id(project_id);
    Ok(ProjectDetail {
        project: store.get_project(&id).await?,
        tasks: store
            .list_tasks(&TaskFilter {
                project: Some(id.clone()),
                ..TaskFilter::default()
            })
            .await?,
        sources: store.list_sources(&id).await?,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn create_project(
    core: State<'_, AppCore>,
    name: String,
    description: String,
) -> Result<Project, ApiError> {
    Ok(core
        .get()?
        .projects()
        .create_project(&name, &description)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_project(
    core: State<'_, AppCore>,
    project_id: i64,
    update: ProjectUpdate,
) -> Result<Project, ApiError> {
    Ok(core
        .get()?
        .projects()
        .update_project(&RecordRef::Id(project_id), update)
        .await?)
}

/// Archives (hides from lists and chat context) or restores a project.
#[tauri::command]
#[specta::specta]
pub async fn set_project_archived(
    core: State<'_, AppCore>,
    project_id: i64,
    archived: bool,
) -> Result<Project, ApiError> {
    Ok(core
        .get()?
        .projects()
        .set_archived(&RecordRef::Id(project_id), archived)
        .await?)
}

/// Tasks of one project, or of all projects; `open_only` leaves out done ones.
#[tauri::command]
#[specta::specta]
pub async fn list_tasks(
    core: State<'_, AppCore>,
    project_id: Option<i64>,
    open_only: bool,
) -> Result<Vec<Task>, ApiError> {
    Ok(core
        .get()?
        .projects()
        .list_tasks(&TaskFilter {
            project: project_id.map(RecordRef::Id),
            status: None,
            open_only,
        })
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_task(
    core: State<'_, AppCore>,
    project_id: i64,
    task: NewTask,
) -> Result<Task, ApiError> {
    Ok(core
        .get()?
        .projects()
        .add_task(&RecordRef::Id(project_id), task)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_task(
    core: State<'_, AppCore>,
    task_id: i64,
    update: TaskUpdate,
) -> Result<Task, ApiError> {
    Ok(core
        .get()?
        .projects()
        .update_task(&RecordRef::Id(task_id), update)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_task(core: State<'_, AppCore>, task_id: i64) -> Result<(), ApiError> {
    Ok(core
        .get()?
        .projects()
        .delete_task(&RecordRef::Id(task_id))
        .await?)
}

/// Asks the model for a project plan and creates it (priced by the core, refunded
/// if the model gives no valid plan).
#[tauri::command]
#[specta::specta]
pub async fn generate_project(
    core: State<'_, AppCore>,
    prompt: String,
    idempotency_key: Option<String>,
) -> Result<GeneratedProject, ApiError> {
    let core = core.get()?;
    if hosted::signed_in(core).await?.is_some() {
        return Err(hosted::not_hosted_yet("Generating a project"));
    }
    Ok(core
        .generator()
        .generate(GenerateRequest {
            prompt,
            idempotency_key,
        })
        .await?)
}

/// Saves a web page's main text on a project, or on a new one (priced by the core,
/// refunded if the page cannot be fetched).
#[tauri::command]
#[specta::specta]
pub async fn scrape_url(
    core: State<'_, AppCore>,
    url: String,
    project_id: Option<i64>,
    idempotency_key: Option<String>,
) -> Result<ScrapeResult, ApiError> {
    let core = core.get()?;
    if hosted::signed_in(core).await?.is_some() {
        return Err(hosted::not_hosted_yet("Saving a web page"));
    }
    Ok(core
        .scraper()
        .scrape(ScrapeRequest {
            url,
            project: project_id.map(RecordRef::Id),
            idempotency_key,
        })
        .await?)
}
