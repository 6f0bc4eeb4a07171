//! The projects store's statements on the server's Postgres (see
//! [`super::rows`]; schema in `migrations/postgres/`). Display ids are
//! numbered per account (`counters` is keyed by user), so every account has
//! its own `PR-000001` and `TK-000001`.

use super::rows::{ClaimedKey, NewSource, ProjectRows, RunningJob, TaskFields};
use super::{Project, ProjectSource, ProjectStatus, SourceExcerpt, Task, TaskStatus};
use super::{PROJECT_SELECT, SOURCE_COLUMNS, TASK_ORDER, TASK_SELECT};
use crate::error::Result;
use crate::ids::{display_id, IdKind, RecordRef};
use crate::jobs::{Job, JobKind, JOB_COLUMNS};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

impl ProjectRows for PgConnection {
    async fn insert_project(
        &mut self,
        user_id: &str,
        name: &str,
        description: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let display_id = next_display_id(self, user_id, IdKind::Project).await?;
        Ok(sqlx::query_scalar(
            "INSERT INTO projects (user_id, display_id, name, description, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user_id)
        .bind(display_id)
        .bind(name)
        .bind(description)
        .bind(now)
        .bind(now)
        .fetch_one(self)
        .await?)
    }

    async fn fetch_project(
        &mut self,
        user_id: &str,
        project: &RecordRef,
    ) -> Result<Option<Project>> {
        let (id, display) = project.binds();
        let sql =
            format!("{PROJECT_SELECT} WHERE p.user_id = $1 AND (p.id = $2 OR p.display_id = $3)");
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self)
            .await?)
    }

    async fn list_projects(
        &mut self,
        user_id: &str,
        include_archived: bool,
        limit: i64,
    ) -> Result<Vec<Project>> {
        let sql = format!(
            "{PROJECT_SELECT} WHERE p.user_id = $1 AND ($2::bool OR p.status = 'active')
              ORDER BY p.updated_at DESC, p.id DESC LIMIT $3"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(include_archived)
            .bind(limit)
            .fetch_all(self)
            .await?)
    }

    async fn lock_project(&mut self, user_id: &str, project: &RecordRef) -> Result<()> {
        let (id, display) = project.binds();
        sqlx::query(
            "SELECT id FROM projects WHERE user_id = $1 AND (id = $2 OR display_id = $3) FOR UPDATE",
        )
        .bind(user_id)
        .bind(id)
        .bind(display)
        .fetch_optional(self)
        .await?;
        Ok(())
    }

    async fn write_project(
        &mut self,
        id: i64,
        name: &str,
        description: &str,
        status: ProjectStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE projects SET name = $1, description = $2, status = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(name)
        .bind(description)
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn claim_creation_key(
        &mut self,
        user_id: &str,
        key: &str,
        kind: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedKey>> {
        let claimed: Option<i32> = sqlx::query_scalar(
            "INSERT INTO creation_keys (user_id, key, kind, fingerprint, entity_id, created_at)
             VALUES ($1, $2, $3, $4, 0, $5)
             ON CONFLICT (user_id, key) DO NOTHING RETURNING 1",
        )
        .bind(user_id)
        .bind(key)
        .bind(kind)
        .bind(fingerprint)
        .bind(now)
        .fetch_optional(&mut *self)
        .await?;
        if claimed.is_some() {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_as(
                "SELECT kind, fingerprint, entity_id FROM creation_keys
                  WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(key)
            .fetch_one(self)
            .await?,
        ))
    }

    async fn bind_creation_key(&mut self, user_id: &str, key: &str, entity_id: i64) -> Result<()> {
        sqlx::query("UPDATE creation_keys SET entity_id = $1 WHERE user_id = $2 AND key = $3")
            .bind(entity_id)
            .bind(user_id)
            .bind(key)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn touch_project(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE projects SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn delete_project(&mut self, user_id: &str, project: &RecordRef) -> Result<bool> {
        let (id, display) = project.binds();
        let done =
            sqlx::query("DELETE FROM projects WHERE user_id = $1 AND (id = $2 OR display_id = $3)")
                .bind(user_id)
                .bind(id)
                .bind(display)
                .execute(self)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_task(
        &mut self,
        user_id: &str,
        project_id: i64,
        task: TaskFields<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let display_id = next_display_id(self, user_id, IdKind::Task).await?;
        Ok(sqlx::query_scalar(
            "INSERT INTO tasks (project_id, user_id, display_id, title, description, status, priority, due_date, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(display_id)
        .bind(task.title)
        .bind(task.description)
        .bind(task.status)
        .bind(task.priority)
        .bind(task.due_date)
        .bind(now)
        .bind(now)
        .fetch_one(self)
        .await?)
    }

    async fn fetch_task(&mut self, user_id: &str, task: &RecordRef) -> Result<Option<Task>> {
        let (id, display) = task.binds();
        let sql =
            format!("{TASK_SELECT} WHERE t.user_id = $1 AND (t.id = $2 OR t.display_id = $3)");
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(id)
            .bind(display)
            .fetch_optional(self)
            .await?)
    }

    async fn list_tasks(
        &mut self,
        user_id: &str,
        project_id: Option<i64>,
        status: Option<TaskStatus>,
        open_only: bool,
    ) -> Result<Vec<Task>> {
        let sql = format!(
            "{TASK_SELECT}
              WHERE t.user_id = $1 AND ($2 IS NULL OR t.project_id = $2) AND ($3 IS NULL OR t.status = $3)
                AND (NOT $4::bool OR (t.status != 'done' AND ($2 IS NOT NULL OR p.status = 'active')))
              {TASK_ORDER}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(project_id)
            .bind(status)
            .bind(open_only)
            .fetch_all(self)
            .await?)
    }

    async fn lock_task(&mut self, user_id: &str, task: &RecordRef) -> Result<()> {
        let (id, display) = task.binds();
        sqlx::query(
            "SELECT id FROM tasks WHERE user_id = $1 AND (id = $2 OR display_id = $3) FOR UPDATE",
        )
        .bind(user_id)
        .bind(id)
        .bind(display)
        .fetch_optional(self)
        .await?;
        Ok(())
    }

    async fn write_task(
        &mut self,
        id: i64,
        task: TaskFields<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE tasks SET title = $1, description = $2, status = $3, priority = $4, due_date = $5, updated_at = $6
              WHERE id = $7",
        )
        .bind(task.title)
        .bind(task.description)
        .bind(task.status)
        .bind(task.priority)
        .bind(task.due_date)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn delete_task(&mut self, user_id: &str, task: &RecordRef) -> Result<bool> {
        let (id, display) = task.binds();
        let done =
            sqlx::query("DELETE FROM tasks WHERE user_id = $1 AND (id = $2 OR display_id = $3)")
                .bind(user_id)
                .bind(id)
                .bind(display)
                .execute(self)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_sources(&mut self, user_id: &str, project_id: i64) -> Result<Vec<ProjectSource>> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM project_sources
              WHERE project_id = $1 AND user_id = $2 ORDER BY fetched_at DESC, id DESC"
        );
        Ok(sqlx::query_as(&sql)
            .bind(project_id)
            .bind(user_id)
            .fetch_all(self)
            .await?)
    }

    async fn fetch_source(&mut self, user_id: &str, id: i64) -> Result<Option<ProjectSource>> {
        let sql =
            format!("SELECT {SOURCE_COLUMNS} FROM project_sources WHERE id = $1 AND user_id = $2");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .bind(user_id)
            .fetch_optional(self)
            .await?)
    }

    async fn delete_source(&mut self, user_id: &str, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM project_sources WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(self)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn recent_source_excerpts(
        &mut self,
        user_id: &str,
        chars: i64,
        limit: i64,
    ) -> Result<Vec<SourceExcerpt>> {
        Ok(sqlx::query_as(
            "SELECT p.display_id AS project_display_id, s.url, s.title,
                    substr(s.text, 1, $1::int) AS excerpt
               FROM project_sources s JOIN projects p ON p.id = s.project_id
              WHERE s.user_id = $2 AND p.status = 'active'
              ORDER BY s.fetched_at DESC, s.id DESC LIMIT $3",
        )
        .bind(chars)
        .bind(user_id)
        .bind(limit)
        .fetch_all(self)
        .await?)
    }

    async fn insert_source(&mut self, user_id: &str, s: NewSource<'_>) -> Result<ProjectSource> {
        let sql = format!(
            "INSERT INTO project_sources (project_id, user_id, url, title, text, fetched_at, job_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SOURCE_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(s.project_id)
            .bind(user_id)
            .bind(s.url)
            .bind(s.title)
            .bind(s.text)
            .bind(s.fetched_at)
            .bind(s.job_id)
            .fetch_one(self)
            .await?)
    }

    async fn source_of_job(&mut self, job_id: i64) -> Result<Option<ProjectSource>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM project_sources WHERE job_id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(job_id)
            .fetch_optional(self)
            .await?)
    }

    async fn insert_job(
        &mut self,
        user_id: &str,
        kind: JobKind,
        spend_id: i64,
        input: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Job> {
        let sql = format!(
            "INSERT INTO project_jobs (user_id, kind, spend_id, input, owner, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {JOB_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(kind)
            .bind(spend_id)
            .bind(input)
            .bind(owner)
            .bind(now)
            .bind(now)
            .fetch_one(self)
            .await?)
    }

    async fn job_paid_by(&mut self, spend_id: i64) -> Result<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM project_jobs WHERE spend_id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(spend_id)
            .fetch_optional(self)
            .await?)
    }

    async fn succeed_job(&mut self, id: i64, project_id: i64, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE project_jobs SET status = 'succeeded', project_id = $1, updated_at = $2
              WHERE id = $3 AND status = 'running'",
        )
        .bind(project_id)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_job(&mut self, id: i64, code: &str, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE project_jobs SET status = 'failed', error_code = $1, updated_at = $2
              WHERE id = $3 AND status = 'running'",
        )
        .bind(code)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn running_jobs(&mut self) -> Result<Vec<RunningJob>> {
        Ok(sqlx::query_as(
            "SELECT id, spend_id, owner FROM project_jobs WHERE status = 'running' ORDER BY id",
        )
        .fetch_all(self)
        .await?)
    }
}

/// Takes the next display id of `kind` in `user_id`'s numbering.
async fn next_display_id(conn: &mut PgConnection, user_id: &str, kind: IdKind) -> Result<String> {
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO counters (user_id, name, value) VALUES ($1, $2, 1)
         ON CONFLICT (user_id, name) DO UPDATE SET value = counters.value + 1
         RETURNING value",
    )
    .bind(user_id)
    .bind(kind.prefix())
    .fetch_one(conn)
    .await?;
    Ok(display_id(kind, value))
}
