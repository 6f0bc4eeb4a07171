//! The account's projects, their tasks and saved pages on the server
//! (`/v1/projects…`, `/v1/tasks…`), answering in the core's own types — the
//! same JSON a local `ProjectStore` gives — so a screen shows either alike.
//! The server applies the core's rules (validation, archiving, per-account
//! `PR-`/`TK-` ids); another account's record is `not_found` there.

use super::api::push_query;
use super::client::{Call, HostedClient};
use super::error::HostedError;
use crate::ids::RecordRef;
use crate::projects::{
    NewTask, Priority, Project, ProjectSource, ProjectStatus, ProjectUpdate, Task, TaskFilter,
    TaskStatus, TaskUpdate,
};
use chrono::NaiveDate;
use reqwest::{Method, Url};
use serde::Serialize;

type Result<T> = std::result::Result<T, HostedError>;

/// [`ProjectUpdate`] as the server reads it: a field left out stays as it is.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProjectChanges<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<ProjectStatus>,
}

impl<'a> From<&'a ProjectUpdate> for ProjectChanges<'a> {
    fn from(u: &'a ProjectUpdate) -> Self {
        Self {
            name: u.name.as_deref(),
            description: u.description.as_deref(),
            status: u.status,
        }
    }
}

/// [`NewTask`] as the server reads it: `null` takes the default.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskFields<'a> {
    title: &'a str,
    description: Option<&'a str>,
    priority: Option<Priority>,
    due_date: Option<NaiveDate>,
}

impl<'a> From<&'a NewTask> for TaskFields<'a> {
    fn from(t: &'a NewTask) -> Self {
        Self {
            title: &t.title,
            description: t.description.as_deref(),
            priority: t.priority,
            due_date: t.due_date,
        }
    }
}

/// [`TaskUpdate`] as the server reads it: a field left out stays as it is,
/// and `"dueDate": null` (`Some(None)`) clears the due date.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskChanges<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<TaskStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<Priority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<Option<NaiveDate>>,
}

impl<'a> From<&'a TaskUpdate> for TaskChanges<'a> {
    fn from(u: &'a TaskUpdate) -> Self {
        Self {
            title: u.title.as_deref(),
            description: u.description.as_deref(),
            status: u.status,
            priority: u.priority,
            due_date: u.due_date,
        }
    }
}

impl HostedClient {
    /// `/v1/projects/{project}[/{tail}]`.
    fn project_url(&self, project: &RecordRef, tail: Option<&str>) -> Url {
        let id = project.to_string();
        let mut segments = vec![id.as_str()];
        segments.extend(tail);
        self.transport().url("/v1/projects", &segments)
    }

    fn task_url(&self, task: &RecordRef) -> Url {
        self.transport().url("/v1/tasks", &[&task.to_string()])
    }

    /// The account's projects, most recently updated first; archived ones
    /// only with `include_archived`.
    pub async fn projects(
        &self,
        include_archived: bool,
        limit: Option<u32>,
    ) -> Result<Vec<Project>> {
        let mut url = self.transport().url("/v1/projects", &[]);
        push_query(&mut url, "includeArchived", Some(include_archived));
        push_query(&mut url, "limit", limit);
        self.get(url).await
    }

    pub async fn project(&self, project: &RecordRef) -> Result<Project> {
        self.get(self.project_url(project, None)).await
    }

    pub async fn create_project(&self, name: &str, description: &str) -> Result<Project> {
        self.post_project(name, description, None).await
    }

    /// [`Self::create_project`] once per creation `key`: sent again with
    /// the same key, the server answers with the project it made (see
    /// `crate::projects::keyed`).
    pub async fn create_project_once(
        &self,
        name: &str,
        description: &str,
        key: &str,
    ) -> Result<Project> {
        self.post_project(name, description, Some(key)).await
    }

    async fn post_project(
        &self,
        name: &str,
        description: &str,
        key: Option<&str>,
    ) -> Result<Project> {
        #[derive(Serialize)]
        struct NewProject<'a> {
            name: &'a str,
            description: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            key: Option<&'a str>,
        }
        let url = self.transport().url("/v1/projects", &[]);
        let body = NewProject {
            name,
            description,
            key,
        };
        self.send_json(Method::POST, url, &body).await
    }

    /// Renames, describes, archives or restores: the fields given change.
    pub async fn update_project(
        &self,
        project: &RecordRef,
        update: &ProjectUpdate,
    ) -> Result<Project> {
        let url = self.project_url(project, None);
        self.send_json(Method::PATCH, url, &ProjectChanges::from(update))
            .await
    }

    /// Archives (hides from lists and chat context) or restores `project`.
    pub async fn set_project_archived(
        &self,
        project: &RecordRef,
        archived: bool,
    ) -> Result<Project> {
        #[derive(Serialize)]
        struct Archive {
            archived: bool,
        }
        let url = self.project_url(project, Some("archive"));
        self.send_json(Method::POST, url, &Archive { archived })
            .await
    }

    /// Deletes `project` with its tasks and saved pages.
    pub async fn delete_project(&self, project: &RecordRef) -> Result<()> {
        self.no_content(Call::<()> {
            method: Method::DELETE,
            url: self.project_url(project, None),
            body: None,
        })
        .await
    }

    /// Tasks by priority (most urgent first), then due date, then age.
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let mut url = self.transport().url("/v1/tasks", &[]);
        push_query(&mut url, "project", filter.project.as_ref());
        push_query(&mut url, "status", filter.status.map(status_name));
        push_query(&mut url, "openOnly", Some(filter.open_only));
        self.get(url).await
    }

    pub async fn add_task(&self, project: &RecordRef, task: &NewTask) -> Result<Task> {
        let url = self.project_url(project, Some("tasks"));
        self.send_json(Method::POST, url, &TaskFields::from(task))
            .await
    }

    /// [`Self::add_task`] once per creation `key` (as
    /// [`Self::create_project_once`]).
    pub async fn add_task_once(
        &self,
        project: &RecordRef,
        task: &NewTask,
        key: &str,
    ) -> Result<Task> {
        #[derive(Serialize)]
        struct Keyed<'a> {
            #[serde(flatten)]
            task: TaskFields<'a>,
            key: &'a str,
        }
        let url = self.project_url(project, Some("tasks"));
        let body = Keyed {
            task: TaskFields::from(task),
            key,
        };
        self.send_json(Method::POST, url, &body).await
    }

    pub async fn task(&self, task: &RecordRef) -> Result<Task> {
        self.get(self.task_url(task)).await
    }

    /// Status, title, description, priority or due date: the fields given
    /// change.
    pub async fn update_task(&self, task: &RecordRef, update: &TaskUpdate) -> Result<Task> {
        let url = self.task_url(task);
        self.send_json(Method::PATCH, url, &TaskChanges::from(update))
            .await
    }

    pub async fn delete_task(&self, task: &RecordRef) -> Result<()> {
        self.no_content(Call::<()> {
            method: Method::DELETE,
            url: self.task_url(task),
            body: None,
        })
        .await
    }

    /// The pages saved on `project`, newest first.
    pub async fn pages(&self, project: &RecordRef) -> Result<Vec<ProjectSource>> {
        self.get(self.project_url(project, Some("pages"))).await
    }
}

/// `status` as the server's query reads it (its serde name).
fn status_name(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Todo => "todo",
        TaskStatus::InProgress => "in_progress",
        TaskStatus::Done => "done",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_update_leaves_out_what_it_keeps_and_sends_null_to_clear() {
        let keep: TaskUpdate = serde_json::from_str(r#"{"title": "x"}"#).unwrap();
        assert_eq!(
            serde_json::to_value(TaskChanges::from(&keep)).unwrap(),
            serde_json::json!({"title": "x"})
        );
        let clear: TaskUpdate = serde_json::from_str(r#"{"dueDate": null}"#).unwrap();
        assert_eq!(
            serde_json::to_value(TaskChanges::from(&clear)).unwrap(),
            serde_json::json!({"dueDate": null})
        );
        let set: TaskUpdate =
            serde_json::from_str(r#"{"dueDate": "2026-12-01", "status": "in_progress"}"#).unwrap();
        assert_eq!(
            serde_json::to_value(TaskChanges::from(&set)).unwrap(),
            serde_json::json!({"dueDate": "2026-12-01", "status": "in_progress"})
        );
    }

    #[test]
    fn statuses_are_spelled_as_serde_spells_them() {
        for status in [TaskStatus::Todo, TaskStatus::InProgress, TaskStatus::Done] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status_name(status))
            );
        }
    }
}
