//! Project create / list / get / update / delete.

use super::{Project, ProjectStatus, ProjectStore, ProjectUpdate};
use crate::error::{Error, Result};
use crate::ids::{next_display_id, IdKind, RecordRef};
use crate::validate::{optional_text, required_text, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use sqlx::SqliteConnection;

const PROJECT_SELECT: &str = "SELECT p.id, p.display_id, p.name, p.description, p.status, p.created_at, p.updated_at,
        (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.status != 'done') AS open_tasks,
        (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS total_tasks
   FROM projects p";

impl ProjectStore {
    pub async fn create_project(&self, name: &str, description: &str) -> Result<Project> {
        let mut tx = self.db.begin_write().await?;
        let id =
            insert_project(&mut tx, &self.user_id, name, description, self.clock.now()).await?;
        let project = fetch_project(&mut tx, &self.user_id, &RecordRef::Id(id)).await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Projects by recent activity; archived ones only when asked.
    pub async fn list_projects(
        &self,
        include_archived: bool,
        limit: Option<u32>,
    ) -> Result<Vec<Project>> {
        let sql = format!(
            "{PROJECT_SELECT} WHERE p.user_id = ? AND (? OR p.status = 'active')
              ORDER BY p.updated_at DESC, p.id DESC LIMIT ?"
        );
        Ok(sqlx::query_as(&sql)
            .bind(&self.user_id)
            .bind(include_archived)
            .bind(i64::from(limit.unwrap_or(200).clamp(1, 1000)))
            .fetch_all(self.db.pool())
            .await?)
    }

    pub async fn get_project(&self, project: &RecordRef) -> Result<Project> {
        fetch_project(
            &mut *self.db.pool().acquire().await?,
            &self.user_id,
            project,
        )
        .await
    }

    pub async fn update_project(
        &self,
        project: &RecordRef,
        update: ProjectUpdate,
    ) -> Result<Project> {
        let name = update
            .name
            .map(|n| required_text("name", &n, MAX_TITLE_CHARS))
            .transpose()?;
        let description = update
            .description
            .map(|d| optional_text("description", &d, MAX_DESCRIPTION_CHARS))
            .transpose()?;
        let mut tx = self.db.begin_write().await?;
        let current = fetch_project(&mut tx, &self.user_id, project).await?;
        sqlx::query("UPDATE projects SET name = ?, description = ?, status = ?, updated_at = ? WHERE id = ?")
            .bind(name.unwrap_or(current.name))
            .bind(description.unwrap_or(current.description))
            .bind(update.status.unwrap_or(current.status))
            .bind(self.clock.now())
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        let project = fetch_project(&mut tx, &self.user_id, &RecordRef::Id(current.id)).await?;
        tx.commit().await?;
        Ok(project)
    }

    pub async fn set_archived(&self, project: &RecordRef, archived: bool) -> Result<Project> {
        let status = if archived {
            ProjectStatus::Archived
        } else {
            ProjectStatus::Active
        };
        self.update_project(
            project,
            ProjectUpdate {
                status: Some(status),
                ..Default::default()
            },
        )
        .await
    }

    /// Deletes a project and its tasks.
    pub async fn delete_project(&self, project: &RecordRef) -> Result<()> {
        crate::ids::delete_owned(&self.db, IdKind::Project, &self.user_id, project).await
    }
}

/// Inserts a project inside the caller's transaction (AI generation creates
/// a project, its tasks and the spend together).
pub(crate) async fn insert_project(
    conn: &mut SqliteConnection,
    user_id: &str,
    name: &str,
    description: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    let name = required_text("name", name, MAX_TITLE_CHARS)?;
    let description = optional_text("description", description, MAX_DESCRIPTION_CHARS)?;
    let display_id = next_display_id(conn, IdKind::Project).await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO projects (user_id, display_id, name, description, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user_id)
    .bind(display_id)
    .bind(name)
    .bind(description)
    .bind(now)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub(crate) async fn fetch_project(
    conn: &mut SqliteConnection,
    user_id: &str,
    project: &RecordRef,
) -> Result<Project> {
    let (id, display) = project.binds();
    let sql = format!("{PROJECT_SELECT} WHERE p.user_id = ? AND (p.id = ? OR p.display_id = ?)");
    sqlx::query_as(&sql)
        .bind(user_id)
        .bind(id)
        .bind(display)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("project", project))
}
