//! Project create / list / get / update / delete: the rules (validation,
//! who may see what), written once over [`super::rows::ProjectRows`].

use super::rows::{ProjectBackend, ProjectRows};
use super::{Project, ProjectStatus, ProjectStore, ProjectUpdate};
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::validate::{optional_text, required_text, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};

/// Most projects one list returns.
const MAX_LIST: u32 = 1000;
/// Projects a list returns when the caller does not say.
const DEFAULT_LIST: u32 = 200;

impl<S: ProjectBackend> ProjectStore<S> {
    pub async fn create_project(&self, name: &str, description: &str) -> Result<Project> {
        let mut tx = self.db.begin_write().await?;
        let id =
            insert_project(&mut *tx, &self.user_id, name, description, self.clock.now()).await?;
        let project = fetch_project(&mut *tx, &self.user_id, &RecordRef::Id(id)).await?;
        S::commit(tx).await?;
        Ok(project)
    }

    /// Projects by recent activity; archived ones only when asked.
    pub async fn list_projects(
        &self,
        include_archived: bool,
        limit: Option<u32>,
    ) -> Result<Vec<Project>> {
        let limit = i64::from(limit.unwrap_or(DEFAULT_LIST).clamp(1, MAX_LIST));
        self.db
            .read()
            .await?
            .list_projects(&self.user_id, include_archived, limit)
            .await
    }

    pub async fn get_project(&self, project: &RecordRef) -> Result<Project> {
        fetch_project(&mut *self.db.read().await?, &self.user_id, project).await
    }

    pub async fn update_project(
        &self,
        project: &RecordRef,
        update: ProjectUpdate,
    ) -> Result<Project> {
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        let project = update_project_in(&mut *tx, &self.user_id, project, update, now).await?;
        S::commit(tx).await?;
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

    /// Deletes a project with its tasks and saved pages. The ledger rows
    /// that paid for it stay: the ledger is append-only.
    pub async fn delete_project(&self, project: &RecordRef) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        if !tx.delete_project(&self.user_id, project).await? {
            return Err(Error::not_found("project", project));
        }
        S::commit(tx).await
    }
}

/// Changes the fields `update` gives, inside the caller's write transaction
/// (this computer's copy queues the edit in the same one, see
/// `hosted::outbox`).
pub(crate) async fn update_project_in<C: ProjectRows>(
    conn: &mut C,
    user_id: &str,
    project: &RecordRef,
    update: ProjectUpdate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Project> {
    let name = update
        .name
        .map(|n| required_text("name", &n, MAX_TITLE_CHARS))
        .transpose()?;
    let description = update
        .description
        .map(|d| optional_text("description", &d, MAX_DESCRIPTION_CHARS))
        .transpose()?;
    conn.lock_project(user_id, project).await?;
    let current = fetch_project(conn, user_id, project).await?;
    conn.write_project(
        current.id,
        &name.unwrap_or(current.name),
        &description.unwrap_or(current.description),
        update.status.unwrap_or(current.status),
        now,
    )
    .await?;
    fetch_project(conn, user_id, &RecordRef::Id(current.id)).await
}

/// Inserts a project inside the caller's transaction (AI generation creates
/// a project, its tasks and the spend together).
pub(crate) async fn insert_project<C: ProjectRows>(
    conn: &mut C,
    user_id: &str,
    name: &str,
    description: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    let name = required_text("name", name, MAX_TITLE_CHARS)?;
    let description = optional_text("description", description, MAX_DESCRIPTION_CHARS)?;
    conn.insert_project(user_id, &name, &description, now).await
}

/// One of the user's projects; `not_found` when it is not theirs.
pub(crate) async fn fetch_project<C: ProjectRows>(
    conn: &mut C,
    user_id: &str,
    project: &RecordRef,
) -> Result<Project> {
    conn.fetch_project(user_id, project)
        .await?
        .ok_or_else(|| Error::not_found("project", project))
}
