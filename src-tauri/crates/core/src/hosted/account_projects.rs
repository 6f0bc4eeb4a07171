//! [`HostedProjects`]: a signed-in device's projects, tasks and saved pages
//! — the server's, read from this computer's copy when the server cannot
//! be reached, and edited offline through the outbox
//! ([`super::outbox_projects`]), as conversations are
//! ([`super::history`]).
//!
//! Online every call goes to the server, after the edits queued offline
//! (so an edit is never overtaken by an older one); the change feed brings
//! the result into the copy. Offline, reading answers from the copy once it
//! follows the feed (before its first pull it holds nothing, and "no
//! projects" would be a lie), and making or changing a project or task is
//! done in the copy and queued. Deleting a project, which takes its tasks
//! and saved pages with it, waits for the server.

use super::error::HostedError;
use super::history::HostedHistory;
use super::outbox_projects::Made;
use super::replica::Replica;
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::projects::{
    NewTask, Project, ProjectSource, ProjectStatus, ProjectUpdate, Task, TaskFilter, TaskUpdate,
};

/// The signed-in account's projects on this device.
#[derive(Debug, Clone)]
pub struct HostedProjects {
    history: HostedHistory,
}

impl HostedHistory {
    /// The same account's projects, tasks and saved pages.
    pub fn projects(self) -> HostedProjects {
        HostedProjects { history: self }
    }
}

impl HostedProjects {
    /// Most recently updated first; archived ones only when asked.
    pub async fn list(&self, include_archived: bool) -> Result<Vec<Project>> {
        self.read(
            || self.history.client().projects(include_archived, None),
            |copy| copy.projects().list_projects(include_archived, None),
        )
        .await
    }

    pub async fn project(&self, project: &RecordRef) -> Result<Project> {
        self.read(
            || async {
                let project = self.settled(Made::Project, project).await;
                self.history.client().project(&project).await
            },
            |copy| async move {
                let project = copy.settled(Made::Project, project).await;
                copy.projects().get_project(&project).await
            },
        )
        .await
    }

    /// Most urgent first (the core's order, on the server too).
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        self.read(
            || async {
                let filter = self.settled_filter(filter).await;
                self.history.client().tasks(&filter).await
            },
            |copy| async move {
                let filter = TaskFilter {
                    project: match &filter.project {
                        Some(p) => Some(copy.settled(Made::Project, p).await),
                        None => None,
                    },
                    ..filter.clone()
                };
                copy.projects().list_tasks(&filter).await
            },
        )
        .await
    }

    pub async fn task(&self, task: &RecordRef) -> Result<Task> {
        self.read(
            || async {
                let task = self.settled(Made::Task, task).await;
                self.history.client().task(&task).await
            },
            |copy| async move {
                let task = copy.settled(Made::Task, task).await;
                copy.projects().get_task(&task).await
            },
        )
        .await
    }

    /// A project's saved pages, from the server only: the change feed does
    /// not carry their text, so the copy cannot answer for them (`offline`).
    pub async fn pages(&self, project: &RecordRef) -> Result<Vec<ProjectSource>> {
        self.history
            .push_then(|| async {
                let project = self.settled(Made::Project, project).await;
                self.history.client().pages(&project).await
            })
            .await
    }

    /// Made once, by a creation key chosen before the first try: an answer
    /// lost on the way (taken for `offline`) and the creation queued then
    /// sent again make one project.
    pub async fn create_project(&self, name: &str, description: &str) -> Result<Project> {
        let key = crate::idempotency::new_key();
        self.write(
            || {
                self.history
                    .client()
                    .create_project_once(name, description, &key)
            },
            |copy| copy.create_project_offline(name, description, &key),
        )
        .await
    }

    /// Renames, describes, archives or restores: the fields given change.
    pub async fn update_project(
        &self,
        project: &RecordRef,
        update: &ProjectUpdate,
    ) -> Result<Project> {
        self.write(
            || async {
                let project = self.settled(Made::Project, project).await;
                self.history.client().update_project(&project, update).await
            },
            |copy| async move {
                let project = copy.settled(Made::Project, project).await;
                copy.update_project_offline(&project, update.clone()).await
            },
        )
        .await
    }

    /// Archives (hides from lists and chat context) or restores.
    pub async fn set_archived(&self, project: &RecordRef, archived: bool) -> Result<Project> {
        let status = if archived {
            ProjectStatus::Archived
        } else {
            ProjectStatus::Active
        };
        let update = ProjectUpdate {
            status: Some(status),
            ..ProjectUpdate::default()
        };
        self.update_project(project, &update).await
    }

    /// Deletes a project with its tasks and saved pages: on the server only
    /// (`offline` without it).
    pub async fn delete_project(&self, project: &RecordRef) -> Result<()> {
        self.history
            .push_then(|| async {
                let project = self.settled(Made::Project, project).await;
                self.history.client().delete_project(&project).await
            })
            .await
    }

    /// Made once, by a creation key, as [`Self::create_project`].
    pub async fn add_task(&self, project: &RecordRef, task: &NewTask) -> Result<Task> {
        let key = crate::idempotency::new_key();
        self.write(
            || async {
                let project = self.settled(Made::Project, project).await;
                self.history
                    .client()
                    .add_task_once(&project, task, &key)
                    .await
            },
            |copy| async {
                let project = copy.settled(Made::Project, project).await;
                copy.add_task_offline(&project, task.clone(), &key).await
            },
        )
        .await
    }

    /// Status, title, description, priority or due date: the fields given
    /// change.
    pub async fn update_task(&self, task: &RecordRef, update: &TaskUpdate) -> Result<Task> {
        self.write(
            || async {
                let task = self.settled(Made::Task, task).await;
                self.history.client().update_task(&task, update).await
            },
            |copy| async move {
                let task = copy.settled(Made::Task, task).await;
                copy.update_task_offline(&task, update.clone()).await
            },
        )
        .await
    }

    pub async fn delete_task(&self, task: &RecordRef) -> Result<()> {
        self.write(
            || async {
                let task = self.settled(Made::Task, task).await;
                self.history.client().delete_task(&task).await
            },
            |copy| async move {
                let task = copy.settled(Made::Task, task).await;
                copy.delete_task_offline(&task).await
            },
        )
        .await
    }

    /// From the server (after the queued edits); from the copy when the
    /// server cannot be reached and the copy follows the feed.
    async fn read<'a, T, S, SFut, C, CFut>(&'a self, server: S, copy: C) -> Result<T>
    where
        S: FnOnce() -> SFut,
        SFut: std::future::Future<Output = std::result::Result<T, HostedError>>,
        C: FnOnce(&'a Replica) -> CFut,
        CFut: std::future::Future<Output = Result<T>>,
    {
        match self.history.push_then(server).await {
            Err(Error::Hosted(offline @ HostedError::Offline { .. })) => {
                if !self.follows_feed().await {
                    return Err(offline.into());
                }
                self.history.read_copy(offline, copy).await
            }
            other => other,
        }
    }

    /// On the server (after the queued edits); in the copy and queued when
    /// the server cannot be reached and the copy follows the feed.
    async fn write<'a, T, S, SFut, C, CFut>(&'a self, server: S, copy: C) -> Result<T>
    where
        S: FnOnce() -> SFut,
        SFut: std::future::Future<Output = std::result::Result<T, HostedError>>,
        C: FnOnce(&'a Replica) -> CFut,
        CFut: std::future::Future<Output = Result<T>>,
    {
        match self.history.push_then(server).await {
            Err(Error::Hosted(offline @ HostedError::Offline { .. })) => {
                if !self.follows_feed().await {
                    return Err(offline.into());
                }
                self.history.edit_offline(offline, copy).await
            }
            other => other,
        }
    }

    /// `record` as the server knows it now (see [`Replica::settled`]).
    async fn settled(&self, made: Made, record: &RecordRef) -> RecordRef {
        match self.history.copy() {
            Some(copy) => copy.settled(made, record).await,
            None => record.clone(),
        }
    }

    async fn settled_filter(&self, filter: &TaskFilter) -> TaskFilter {
        let project = match &filter.project {
            Some(p) => Some(self.settled(Made::Project, p).await),
            None => None,
        };
        TaskFilter {
            project,
            ..filter.clone()
        }
    }

    /// Whether the copy holds the account's projects (it has pulled the
    /// change feed at least once).
    async fn follows_feed(&self) -> bool {
        match self.history.copy() {
            Some(copy) => copy.cursor().await.is_ok_and(|cursor| cursor > 0),
            None => false,
        }
    }
}
