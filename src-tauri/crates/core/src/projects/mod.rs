//! The user's projects and their tasks (PRD: existing features that the chat
//! can take as context and that AI generation creates).

pub mod generate;
mod keyed;
pub mod plan;
mod postgres_rows;
pub mod rows;
mod sources;
mod sqlite_rows;
pub(crate) mod store;
pub(crate) mod tasks;

pub use generate::{GenerateRequest, GeneratedProject, GenerationError, ProjectGenerator};
pub use keyed::MAX_CREATION_KEY_CHARS;
pub use rows::{ProjectBackend, ProjectRows};
pub(crate) use sources::insert_source;
pub use sources::{ProjectSource, SourceExcerpt};
pub use tasks::TaskFilter;

use crate::clock::SharedClock;
use crate::db::Db;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ProjectStatus {
    Active,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: i64,
    pub display_id: String,
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Tasks not yet done.
    pub open_tasks: i64,
    pub total_tasks: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    Done,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    sqlx::Type,
    specta::Type,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: i64,
    pub project_id: i64,
    /// The project's `PR-…` id, for showing tasks outside their project.
    pub project_display_id: String,
    pub display_id: String,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Fields for a new task; `None` takes the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    pub due_date: Option<NaiveDate>,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TaskUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<TaskStatus>,
    pub priority: Option<Priority>,
    /// `Some(None)` clears the due date: in JSON, `"dueDate": null` clears
    /// it and a missing `dueDate` leaves it as it is.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[specta(type = Option<NaiveDate>, optional)]
    pub due_date: Option<Option<NaiveDate>>,
}

/// A field that is present (even as `null`) becomes `Some`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A partial project update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ProjectStatus>,
}

/// Projects, tasks and saved pages of one user, on the desktop's SQLite
/// (the default) or the server's Postgres (see [`rows`]).
#[derive(Debug, Clone)]
pub struct ProjectStore<S: ProjectBackend = Db> {
    db: S,
    clock: SharedClock,
    user_id: String,
}

impl<S: ProjectBackend> ProjectStore<S> {
    pub fn new(db: S, clock: SharedClock, user_id: String) -> Self {
        Self { db, clock, user_id }
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// Project rows with their task counts, for queries over `projects p`.
pub const PROJECT_SELECT: &str = "SELECT p.id, p.display_id, p.name, p.description, p.status, p.created_at, p.updated_at,
        (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.status != 'done') AS open_tasks,
        (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS total_tasks
   FROM projects p";

/// Task rows joined with their project's display id.
pub const TASK_SELECT: &str =
    "SELECT t.id, t.project_id, p.display_id AS project_display_id, t.display_id, t.title,
        t.description, t.status, t.priority, t.due_date, t.created_at, t.updated_at
   FROM tasks t JOIN projects p ON p.id = t.project_id";

/// Tasks by priority (most urgent first), then due date, then age.
pub(crate) const TASK_ORDER: &str =
    "ORDER BY CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
              t.due_date IS NULL, t.due_date, t.id";

/// The columns of a [`ProjectSource`], for queries over `project_sources`.
pub const SOURCE_COLUMNS: &str = "id, project_id, title, text, url AS source_url, fetched_at";

#[cfg(test)]
mod tests {
    use super::TaskUpdate;
    use chrono::NaiveDate;

    #[test]
    fn a_null_due_date_clears_it_and_a_missing_one_keeps_it() {
        let clear: TaskUpdate = serde_json::from_str(r#"{"dueDate": null}"#).unwrap();
        assert_eq!(clear.due_date, Some(None));
        let keep: TaskUpdate = serde_json::from_str(r#"{"title": "x"}"#).unwrap();
        assert_eq!(keep.due_date, None);
        let set: TaskUpdate = serde_json::from_str(r#"{"dueDate": "2026-12-01"}"#).unwrap();
        assert_eq!(set.due_date, Some(NaiveDate::from_ymd_opt(2026, 12, 1)));
    }
}
