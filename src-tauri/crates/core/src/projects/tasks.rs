//! Task add / list / get / update / delete.

use super::{NewTask, Priority, ProjectStore, Task, TaskStatus, TaskUpdate};
use crate::error::{Error, Result};
use crate::ids::{next_display_id, IdKind, RecordRef};
use crate::validate::{optional_text, required_text, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use sqlx::SqliteConnection;

/// Task rows joined with their project's display id.
const TASK_SELECT: &str =
    "SELECT t.id, t.project_id, p.display_id AS project_display_id, t.display_id, t.title,
        t.description, t.status, t.priority, t.due_date, t.created_at, t.updated_at
   FROM tasks t JOIN projects p ON p.id = t.project_id";

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

impl ProjectStore {
    pub async fn add_task(&self, project: &RecordRef, task: NewTask) -> Result<Task> {
        let mut tx = self.db.begin_write().await?;
        let project = super::store::fetch_project(&mut tx, &self.user_id, project).await?;
        let id = insert_task(&mut tx, &self.user_id, project.id, &task, self.clock.now()).await?;
        sqlx::query("UPDATE projects SET updated_at = ? WHERE id = ?")
            .bind(self.clock.now())
            .bind(project.id)
            .execute(&mut *tx)
            .await?;
        let task = fetch_task(&mut tx, &self.user_id, &RecordRef::Id(id)).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Tasks by priority (most urgent first), then due date, then age.
    pub async fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let project_id = match &filter.project {
            Some(p) => Some(self.get_project(p).await?.id),
            None => None,
        };
        let sql = format!(
            "{TASK_SELECT}
              WHERE t.user_id = ?1 AND (?2 IS NULL OR t.project_id = ?2) AND (?3 IS NULL OR t.status = ?3)
                AND (NOT ?4 OR (t.status != 'done' AND (?2 IS NOT NULL OR p.status = 'active')))
              ORDER BY CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
                       t.due_date IS NULL, t.due_date, t.id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(&self.user_id)
            .bind(project_id)
            .bind(filter.status)
            .bind(filter.open_only)
            .fetch_all(self.db.pool())
            .await?)
    }

    pub async fn get_task(&self, task: &RecordRef) -> Result<Task> {
        fetch_task(&mut *self.db.pool().acquire().await?, &self.user_id, task).await
    }

    pub async fn update_task(&self, task: &RecordRef, update: TaskUpdate) -> Result<Task> {
        let title = update
            .title
            .map(|t| required_text("title", &t, MAX_TITLE_CHARS))
            .transpose()?;
        let description = update
            .description
            .map(|d| optional_text("description", &d, MAX_DESCRIPTION_CHARS))
            .transpose()?;
        let mut tx = self.db.begin_write().await?;
        let current = fetch_task(&mut tx, &self.user_id, task).await?;
        let now = self.clock.now();
        sqlx::query(
            "UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, due_date = ?, updated_at = ?
              WHERE id = ?",
        )
        .bind(title.unwrap_or(current.title))
        .bind(description.unwrap_or(current.description))
        .bind(update.status.unwrap_or(current.status))
        .bind(update.priority.unwrap_or(current.priority))
        .bind(update.due_date.unwrap_or(current.due_date))
        .bind(now)
        .bind(current.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE projects SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(current.project_id)
            .execute(&mut *tx)
            .await?;
        let task = fetch_task(&mut tx, &self.user_id, &RecordRef::Id(current.id)).await?;
        tx.commit().await?;
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
        crate::ids::delete_owned(&self.db, IdKind::Task, &self.user_id, task).await
    }
}

/// Inserts a task inside the caller's transaction.
pub(crate) async fn insert_task(
    conn: &mut SqliteConnection,
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
    let display_id = next_display_id(conn, IdKind::Task).await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO tasks (project_id, user_id, display_id, title, description, priority, due_date, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(display_id)
    .bind(title)
    .bind(description)
    .bind(task.priority.unwrap_or(Priority::Medium))
    .bind(task.due_date)
    .bind(now)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

async fn fetch_task(conn: &mut SqliteConnection, user_id: &str, task: &RecordRef) -> Result<Task> {
    let (id, display) = task.binds();
    let sql = format!("{TASK_SELECT} WHERE t.user_id = ? AND (t.id = ? OR t.display_id = ?)");
    sqlx::query_as(&sql)
        .bind(user_id)
        .bind(id)
        .bind(display)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("task", task))
}
