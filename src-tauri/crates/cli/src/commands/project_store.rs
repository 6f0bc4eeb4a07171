//! Where `projects` and `tasks` read and write: this profile's database, or
//! (signed in) the account's projects on the server — read from this
//! computer's copy, and made or changed there and queued, when the server
//! cannot be reached. Signed in, this
//! computer's projects are neither shown nor changed — one store per view,
//! as the app's Projects screens do. Both answer in the core's own types,
//! so the commands print alike.

use super::record;
use crate::error::CliError;
use banter_core::hosted::HostedProjects;
use banter_core::ids::{IdKind, RecordRef};
use banter_core::projects::{
    NewTask, Project, ProjectStore, Task, TaskFilter, TaskStatus, TaskUpdate,
};
use banter_core::Core;

pub enum Store<'a> {
    Local(&'a ProjectStore),
    Hosted(&'a HostedProjects),
}

impl<'a> Store<'a> {
    /// The server's when `hosted` is given (signed in), else the profile's.
    pub fn new(core: &'a Core, hosted: Option<&'a HostedProjects>) -> Self {
        match hosted {
            Some(server) => Self::Hosted(server),
            None => Self::Local(core.projects()),
        }
    }

    /// A project or task id as the user typed it, for this store (see
    /// [`record`]).
    pub fn id(&self, kind: IdKind, typed: &str) -> Result<RecordRef, CliError> {
        record(kind, typed, matches!(self, Self::Hosted(_)))
    }

    /// Most recently updated first; archived ones only with `include_archived`.
    pub async fn list(&self, include_archived: bool) -> Result<Vec<Project>, CliError> {
        Ok(match self {
            Self::Local(store) => store.list_projects(include_archived, None).await?,
            Self::Hosted(server) => server.list(include_archived).await?,
        })
    }

    pub async fn create(&self, name: &str, description: &str) -> Result<Project, CliError> {
        Ok(match self {
            Self::Local(store) => store.create_project(name, description).await?,
            Self::Hosted(server) => server.create_project(name, description).await?,
        })
    }

    pub async fn project(&self, id: &RecordRef) -> Result<Project, CliError> {
        Ok(match self {
            Self::Local(store) => store.get_project(id).await?,
            Self::Hosted(server) => server.project(id).await?,
        })
    }

    /// Most urgent first (the core's order, on the server too).
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>, CliError> {
        Ok(match self {
            Self::Local(store) => store.list_tasks(filter).await?,
            Self::Hosted(server) => server.tasks(filter).await?,
        })
    }

    pub async fn add_task(&self, project: &RecordRef, task: NewTask) -> Result<Task, CliError> {
        Ok(match self {
            Self::Local(store) => store.add_task(project, task).await?,
            Self::Hosted(server) => server.add_task(project, &task).await?,
        })
    }

    pub async fn set_task_status(
        &self,
        task: &RecordRef,
        status: TaskStatus,
    ) -> Result<Task, CliError> {
        Ok(match self {
            Self::Local(store) => store.set_task_status(task, status).await?,
            Self::Hosted(server) => {
                let update = TaskUpdate {
                    status: Some(status),
                    ..TaskUpdate::default()
                };
                server.update_task(task, &update).await?
            }
        })
    }
}
