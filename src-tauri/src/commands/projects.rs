//! Projects and tasks, AI project generation and URL scraping — on this
//! computer, or on the server when signed in (the account's projects only:
//! local ones are neither shown nor changed then; read from this computer's
//! copy and edited offline when the server cannot be reached, see
//! `banter_core::hosted::HostedProjects`). Costs, validation and
//! refunds live in the core (`banter_core::ledger::Costs`), on the server
//! for an account.

use crate::hosted;
use crate::state::AppCore;
use banter_core::events::DomainEvent;
use banter_core::hosted::HostedClient;
use banter_core::ids::RecordRef;
use banter_core::ledger::{crossed_low, LedgerEntry};
use banter_core::projects::{
    GenerateRequest, GeneratedProject, NewTask, Project, ProjectSource, ProjectUpdate, Task,
    TaskFilter, TaskUpdate,
};
use banter_core::scrape::{ScrapeRequest, ScrapeResult};
use banter_core::{ApiError, Core};
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
    let core = core.get().await?;
    match hosted::projects(core).await? {
        Some(account) => Ok(account.list(include_archived).await?),
        None => Ok(core
            .projects()
            .list_projects(include_archived, None)
            .await?),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn get_project(
    core: State<'_, AppCore>,
    project_id: i64,
) -> Result<ProjectDetail, ApiError> {
    let (core, id) = (core.get().await?, RecordRef::Id(project_id));
    let tasks_of = TaskFilter {
        project: Some(id.clone()),
        ..TaskFilter::default()
    };
    if let Some(account) = hosted::projects(core).await? {
        let (project, tasks, sources) = tokio::try_join!(
            account.project(&id),
            account.tasks(&tasks_of),
            account.pages(&id)
        )?;
        return Ok(ProjectDetail {
            project,
            tasks,
            sources,
        });
    }
    let store = core.projects();
    Ok(ProjectDetail {
        project: store.get_project(&id).await?,
        tasks: store.list_tasks(&tasks_of).await?,
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
    let core = core.get().await?;
    match hosted::projects(core).await? {
        Some(account) => Ok(account.create_project(&name, &description).await?),
        None => Ok(core.projects().create_project(&name, &description).await?),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn update_project(
    core: State<'_, AppCore>,
    project_id: i64,
    update: ProjectUpdate,
) -> Result<Project, ApiError> {
    let (core, id) = (core.get().await?, RecordRef::Id(project_id));
    match hosted::projects(core).await? {
        Some(account) => Ok(account.update_project(&id, &update).await?),
        None => Ok(core.projects().update_project(&id, update).await?),
    }
}

/// Archives (hides from lists and chat context) or restores a project.
#[tauri::command]
#[specta::specta]
pub async fn set_project_archived(
    core: State<'_, AppCore>,
    project_id: i64,
    archived: bool,
) -> Result<Project, ApiError> {
    let (core, id) = (core.get().await?, RecordRef::Id(project_id));
    match hosted::projects(core).await? {
        Some(account) => Ok(account.set_archived(&id, archived).await?),
        None => Ok(core.projects().set_archived(&id, archived).await?),
    }
}

/// Tasks of one project, or of all projects; `open_only` leaves out done ones.
#[tauri::command]
#[specta::specta]
pub async fn list_tasks(
    core: State<'_, AppCore>,
    project_id: Option<i64>,
    open_only: bool,
) -> Result<Vec<Task>, ApiError> {
    let core = core.get().await?;
    let filter = TaskFilter {
        project: project_id.map(RecordRef::Id),
        status: None,
        open_only,
    };
    match hosted::projects(core).await? {
        Some(account) => Ok(account.tasks(&filter).await?),
        None => Ok(core.projects().list_tasks(&filter).await?),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn add_task(
    core: State<'_, AppCore>,
    project_id: i64,
    task: NewTask,
) -> Result<Task, ApiError> {
    let (core, project) = (core.get().await?, RecordRef::Id(project_id));
    match hosted::projects(core).await? {
        Some(account) => Ok(account.add_task(&project, &task).await?),
        None => Ok(core.projects().add_task(&project, task).await?),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn update_task(
    core: State<'_, AppCore>,
    task_id: i64,
    update: TaskUpdate,
) -> Result<Task, ApiError> {
    let (core, task) = (core.get().await?, RecordRef::Id(task_id));
    match hosted::projects(core).await? {
        Some(account) => Ok(account.update_task(&task, &update).await?),
        None => Ok(core.projects().update_task(&task, update).await?),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn delete_task(core: State<'_, AppCore>, task_id: i64) -> Result<(), ApiError> {
    let (core, task) = (core.get().await?, RecordRef::Id(task_id));
    match hosted::projects(core).await? {
        Some(account) => Ok(account.delete_task(&task).await?),
        None => Ok(core.projects().delete_task(&task).await?),
    }
}

/// Asks the model for a project plan and creates it (priced by the core, refunded
/// if the model gives no valid plan); signed in, the server's model plans
/// it and the account pays.
#[tauri::command]
#[specta::specta]
pub async fn generate_project(
    core: State<'_, AppCore>,
    prompt: String,
    idempotency_key: Option<String>,
) -> Result<GeneratedProject, ApiError> {
    let core = core.get().await?;
    if let Some(client) = hosted::signed_in(core).await? {
        let generated = client.generate(&prompt, idempotency_key.as_deref()).await?;
        announce_spend(core, &client, &generated.spend, generated.replayed).await;
        return Ok(generated);
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
/// refunded if the page cannot be fetched); signed in, the server fetches
/// it (under its address policy) and the account pays.
#[tauri::command]
#[specta::specta]
pub async fn scrape_url(
    core: State<'_, AppCore>,
    url: String,
    project_id: Option<i64>,
    idempotency_key: Option<String>,
) -> Result<ScrapeResult, ApiError> {
    let core = core.get().await?;
    let project = project_id.map(RecordRef::Id);
    if let Some(client) = hosted::signed_in(core).await? {
        let scraped = client
            .scrape(&url, project.as_ref(), idempotency_key.as_deref())
            .await?;
        announce_spend(core, &client, &scraped.spend, scraped.replayed).await;
        return Ok(scraped);
    }
    Ok(core
        .scraper()
        .scrape(ScrapeRequest {
            url,
            project,
            idempotency_key,
        })
        .await?)
}

/// A paid job through the server spent the account's credits: every window
/// hears it as it would a local spend's (`CreditsChanged` with the server's
/// balance, and `CreditsLow` when this spend crossed below the threshold —
/// what `Ledger::announce` says locally). A replay spent nothing.
async fn announce_spend(core: &Core, client: &HostedClient, spend: &LedgerEntry, replayed: bool) {
    if replayed {
        return;
    }
    match client.balance().await {
        Ok(balance) => core.events().emit(DomainEvent::CreditsChanged {
            remaining: balance.remaining,
            total: balance.total,
        }),
        // The job is done and paid; the windows read the balance again
        // when they next get focus.
        Err(error) => {
            tracing::warn!(code = %error.code(), "cannot read the balance after a paid job")
        }
    }
    let after = spend.balance_after;
    if crossed_low(after - spend.amount, after) {
        core.events()
            .emit(DomainEvent::CreditsLow { remaining: after });
    }
}
