//! Task add / list / get / update / delete: the rules, written once over
//! [`super::rows::ProjectRows`].

use super::rows::{ProjectBackend, ProjectRows, TaskFields};
use super::{NewTask, Priority, ProjectStore, Task, TaskStatus, TaskUpdate};
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::validate::{optional_text, required_text, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub project: Option<RecordRef>,
    pub status: Option<TaskStatus>,
    /// Only tasks that are not done — and, across projects, only those of
    /// active projects: an archived project's tasks are not "active tasks"
    /// on the dashboard or in the chat context.
    pub open_only: bool,
}

impl<S: ProjectBackend> ProjectStore<S> {
    pub async fn add_task(&self, project: &RecordRef, task: NewTask) -> Result<Task> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let project = super::store::fetch_project(&mut *tx, &self.user_id, project).await?;
        let id = insert_task(&mut *tx, &self.user_id, project.id, &task, now).await?;
        tx.touch_project(project.id, now).await?;
        let task = fetch_task(&mut *tx, &self.user_id, &RecordRef::Id(id)).await?;
        S::commit(tx).await?;
        Ok(task)
    }

    /// Tasks by priority (most urgent first), then due date, then age.
    pub async fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let project_id = match &filter.project {
            Some(p) => Some(self.get_project(p).await?.id),
            None => None,
        };
        self.db
            .read()
            .await?
            .list_tasks(&self.user_id, project_id, filter.status, filter.open_only)
            .await
    }

    pub async fn get_task(&self, task: &RecordRef) -> Result<Task> {
        fetch_task(&mut *self.db.read().await?, &self.user_id, task).await
    }

    pub async fn update_task(&self, task: &RecordRef, update: TaskUpdate) -> Result<Task> {
        let mut tx = self.db.begin_write().await?;
        let task = update_task_in(&mut *tx, &self.user_id, task, update, self.clock.now()).await?;
        S::commit(tx).await?;
        Ok(task)
    }

    pub async fn set_task_status(&self, task: &RecordRef, status: TaskStatus) -> Result<Task> {
        self.update_task(
            task,
            TaskUpdate {
                status: Some(status),
                ..Default::default()
            },
        )
        .await
    }

    pub async fn delete_task(&self, task: &RecordRef) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        if !tx.delete_task(&self.user_id, task).await? {
            return Err(Error::not_found("task", task));
        }
        S::commit(tx).await
    }
}

/// Changes the fields `update` gives, inside the caller's write transaction
/// (this computer's copy queues the edit in the same one, see
/// `hosted::outbox`).
pub(crate) async fn update_task_in<C: ProjectRows>(
    conn: &mut C,
    user_id: &str,
    task: &RecordRef,
    update: TaskUpdate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Task> {
    let title = update
        .title
        .map(|t| required_text("title", &t, MAX_TITLE_CHARS))
        .transpose()?;
    let description = update
        .description
        .map(|d| optional_text("description", &d, MAX_DESCRIPTION_CHARS))
        .transpose()?;
    conn.lock_task(user_id, task).await?;
    let current = fetch_task(conn, user_id, task).await?;
    let title = title.unwrap_or(current.title);
    let description = description.unwrap_or(current.description);
    let fields = TaskFields {
        title: &title,
        description: &description,
        status: update.status.unwrap_or(current.status),
        priority: update.priority.unwrap_or(current.priority),
        due_date: update.due_date.unwrap_or(current.due_date),
    };
    conn.write_task(current.id, fields, now).await?;
    conn.touch_project(current.project_id, now).await?;
    fetch_task(conn, user_id, &RecordRef::Id(current.id)).await
}

/// Inserts a task inside the caller's transaction.
pub(crate) async fn insert_task<C: ProjectRows>(
    conn: &mut C,
    user_id: &str,
    project_id: i64,
    task: &NewTask,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    let title = required_text("title", &task.title, MAX_TITLE_CHARS)?;
    let description = optional_text(
        "description",
        task.description.as_deref().unwrap_or(""),
        MAX_DESCRIPTION_CHARS,
    )?;
    let fields = TaskFields {
        title: &title,
        description: &description,
        status: TaskStatus::Todo,
        priority: task.priority.unwrap_or(Priority::Medium),
        due_date: task.due_date,
    };
    conn.insert_task(user_id, project_id, fields, now).await
}

pub(crate) async fn fetch_task<C: ProjectRows>(
    conn: &mut C,
    user_id: &str,
    task: &RecordRef,
) -> Result<Task> {
    conn.fetch_task(user_id, task)
        .await?
        .ok_or_else(|| Error::not_found("task", task))
}
