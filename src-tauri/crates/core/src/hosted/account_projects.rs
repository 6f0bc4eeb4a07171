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
            || self.history.client().project(project),
            |copy| copy.projects().get_project(project),
        )
        .await
    }

    /// Most urgent first (the core's order, on the server too).
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        self.read(
            || self.history.client().tasks(filter),
            |copy| copy.projects().list_tasks(filter),
        )
        .await
    }

    pub async fn task(&self, task: &RecordRef) -> Result<Task> {
        self.read(
            || self.history.client().task(task),
            |copy| copy.projects().get_task(task),
        )
        .await
    }

    /// A project's saved pages.
    pub async fn pages(&self, project: &RecordRef) -> Result<Vec<ProjectSource>> {
        self.read(
            || self.history.client().pages(project),
            |copy| copy.projects().list_sources(project),
        )
        .await
    }

    pub async fn create_project(&self, name: &str, description: &str) -> Result<Project> {
        self.write(
            || self.history.client().create_project(name, description),
            |copy| copy.create_project_offline(name, description),
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
            || self.history.client().update_project(project, update),
            |copy| copy.update_project_offline(project, update.clone()),
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
        let client = self.history.client();
        self.history
            .push_then(|| client.delete_project(project))
            .await
    }

    pub async fn add_task(&self, project: &RecordRef, task: &NewTask) -> Result<Task> {
        self.write(
            || self.history.client().add_task(project, task),
            |copy| copy.add_task_offline(project, task.clone()),
        )
        .await
    }

    /// Status, title, description, priority or due date: the fields given
    /// change.
    pub async fn update_task(&self, task: &RecordRef, update: &TaskUpdate) -> Result<Task> {
        self.write(
            || self.history.client().update_task(task, update),
            |copy| copy.update_task_offline(task, update.clone()),
        )
        .await
    }

    pub async fn delete_task(&self, task: &RecordRef) -> Result<()> {
        self.write(
            || self.history.client().delete_task(task),
            |copy| copy.delete_task_offline(task),
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

    /// Whether the copy holds the account's projects (it has pulled the
    /// change feed at least once).
    async fn follows_feed(&self) -> bool {
        match self.history.copy() {
            Some(copy) => copy.cursor().await.is_ok_and(|cursor| cursor > 0),
            None => false,
        }
    }
}
