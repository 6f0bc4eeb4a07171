//! Projects and tasks edited while the server cannot be reached: made in
//! this computer's copy at once and queued ([`super::outbox`]) in the same
//! transaction, then sent in order.
//!
//! A project or task made offline has no server id yet: the copy holds it
//! under a negative row id (the server's are positive) and a provisional
//! display id (`PR-L000001`, [`crate::ids::provisional_display_id`]), and
//! queued edits name it by that row id. When the server has made it (once
//! per creation key, `crate::projects::keyed`, so a repeat after a crash
//! makes nothing more) the copy's row takes the server's id and display id
//! and the queued edits that name it follow, in one transaction.

use super::outbox::{queue, Edit};
use super::replica::Replica;
use super::replica_sync::{put_project, put_task};
use crate::error::{Error, Result};
use crate::ids::{provisional_display_id, IdKind, RecordRef};
use crate::projects::store::{fetch_project, update_project_in};
use crate::projects::tasks::{fetch_task, update_task_in};
use crate::projects::{
    NewTask, Priority, Project, ProjectRows, ProjectUpdate, Task, TaskStatus, TaskUpdate,
};
use crate::validate::{optional_text, required_text, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use sqlx::SqliteConnection;

/// Which of the copy's tables a local row id belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Made {
    Project,
    Task,
}

impl Made {
    fn kind(self) -> IdKind {
        match self {
            Self::Project => IdKind::Project,
            Self::Task => IdKind::Task,
        }
    }
}

impl Replica {
    /// Makes a project in the copy and queues its creation, together.
    pub(crate) async fn create_project_offline(
        &self,
        name: &str,
        description: &str,
        key: &str,
    ) -> Result<Project> {
        let name = required_text("name", name, MAX_TITLE_CHARS)?;
        let description = optional_text("description", description, MAX_DESCRIPTION_CHARS)?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let number = next_provisional(&mut tx, IdKind::Project).await?;
        sqlx::query(
            "INSERT INTO projects (id, user_id, display_id, name, description, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
        )
        .bind(-number)
        .bind(&self.user_id)
        .bind(provisional_display_id(IdKind::Project, number))
        .bind(&name)
        .bind(&description)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let edit = Edit::CreateProject {
            project: -number,
            name,
            description,
            key: key.to_string(),
        };
        queue(&mut tx, &edit, now).await?;
        let project = fetch_project(&mut *tx, &self.user_id, &RecordRef::Id(-number)).await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Adds a task to a project in the copy (one of the server's or one
    /// made offline) and queues it, together.
    pub(crate) async fn add_task_offline(
        &self,
        project: &RecordRef,
        task: NewTask,
        key: &str,
    ) -> Result<Task> {
        let title = required_text("title", &task.title, MAX_TITLE_CHARS)?;
        let description = optional_text(
            "description",
            task.description.as_deref().unwrap_or(""),
            MAX_DESCRIPTION_CHARS,
        )?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let project = fetch_project(&mut *tx, &self.user_id, project).await?;
        let number = next_provisional(&mut tx, IdKind::Task).await?;
        sqlx::query(
            "INSERT INTO tasks (id, project_id, user_id, display_id, title, description, status,
                                priority, due_date, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(-number)
        .bind(project.id)
        .bind(&self.user_id)
        .bind(provisional_display_id(IdKind::Task, number))
        .bind(&title)
        .bind(&description)
        .bind(TaskStatus::Todo)
        .bind(task.priority.unwrap_or(Priority::Medium))
        .bind(task.due_date)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.touch_project(project.id, now).await?;
        let edit = Edit::AddTask {
            task: -number,
            project: project.id,
            fields: NewTask {
                title,
                description: Some(description),
                ..task
            },
            key: key.to_string(),
        };
        queue(&mut tx, &edit, now).await?;
        let task = fetch_task(&mut *tx, &self.user_id, &RecordRef::Id(-number)).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Changes a task in the copy and queues the change, together.
    pub(crate) async fn update_task_offline(
        &self,
        task: &RecordRef,
        update: TaskUpdate,
    ) -> Result<Task> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let changed = update_task_in(&mut *tx, &self.user_id, task, update.clone(), now).await?;
        let edit = Edit::UpdateTask {
            task: changed.id,
            update,
        };
        queue(&mut tx, &edit, now).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Deletes a task from the copy and queues the delete, together.
    pub(crate) async fn delete_task_offline(&self, task: &RecordRef) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let gone = fetch_task(&mut *tx, &self.user_id, task).await?;
        if !tx.delete_task(&self.user_id, task).await? {
            return Err(Error::not_found("task", task));
        }
        // Also for a task made offline: its creation may have reached the
        // server already (an answer lost); the delete is renumbered with it.
        queue(
            &mut tx,
            &Edit::DeleteTask { task: gone.id },
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes a project in the copy (renames, describes, archives or
    /// restores) and queues the change, together.
    pub(crate) async fn update_project_offline(
        &self,
        project: &RecordRef,
        update: ProjectUpdate,
    ) -> Result<Project> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let changed =
            update_project_in(&mut *tx, &self.user_id, project, update.clone(), now).await?;
        let edit = Edit::UpdateProject {
            project: changed.id,
            update,
        };
        queue(&mut tx, &edit, now).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// The server made the project queued as local row `local`: the copy's
    /// row becomes `made` (its tasks move with it), and queued edits that
    /// name it name the server's id.
    pub(super) async fn settle_project(&self, local: i64, made: &Project) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        put_project(&mut tx, &self.user_id, made).await?;
        sqlx::query("UPDATE tasks SET project_id = ? WHERE project_id = ?")
            .bind(made.id)
            .bind(local)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projects WHERE id = ?")
            .bind(local)
            .execute(&mut *tx)
            .await?;
        renumber_queued(&mut tx, Made::Project, local, made.id).await?;
        remember_settled(&mut tx, Made::Project, local, made.id, self.clock.now()).await?;
        tx.commit().await
    }

    /// [`Self::settle_project`] for a task.
    pub(super) async fn settle_task(&self, local: i64, made: &Task) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let held = sqlx::query("DELETE FROM tasks WHERE id = ?")
            .bind(local)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // Deleted here meanwhile: its queued delete follows; the row stays
        // gone until then.
        if held > 0 {
            put_task(&mut tx, &self.user_id, made).await?;
        }
        renumber_queued(&mut tx, Made::Task, local, made.id).await?;
        remember_settled(&mut tx, Made::Task, local, made.id, self.clock.now()).await?;
        tx.commit().await
    }

    /// What `record` names now: a project or task made offline and since
    /// made on the server is named by its server id, so the provisional id
    /// the user saw (`PR-L000001`, or its row id in a window) keeps
    /// working. Anything else is returned as it is.
    pub(super) async fn settled(&self, made: Made, record: &RecordRef) -> RecordRef {
        let local = match record {
            RecordRef::Id(id) if *id < 0 => Some(*id),
            RecordRef::Display(shown) => provisional_number(made, shown).map(|n| -n),
            RecordRef::Id(_) => None,
        };
        let Some(local) = local else {
            return record.clone();
        };
        let found: Option<String> = match sqlx::query_scalar(
            "SELECT value FROM settings WHERE key = ?",
        )
        .bind(settled_key(made, local))
        .fetch_optional(self.db.pool())
        .await
        {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "could not read which server id a record made offline became");
                None
            }
        };
        match found.and_then(|id| id.parse().ok()) {
            Some(id) => RecordRef::Id(id),
            None => record.clone(),
        }
    }

    /// The server refused to make what local row `local` holds: the row
    /// goes from the copy (a project with the tasks made under it), and so
    /// do the queued edits that name them, which could only be refused.
    pub(super) async fn forget_made(&self, made: Made, local: i64) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let mut gone = vec![(made, local)];
        if made == Made::Project {
            let tasks: Vec<i64> = sqlx::query_scalar("SELECT id FROM tasks WHERE project_id = ?")
                .bind(local)
                .fetch_all(&mut *tx)
                .await?;
            gone.extend(tasks.into_iter().map(|t| (Made::Task, t)));
        }
        let table = match made {
            Made::Project => "DELETE FROM projects WHERE id = ?",
            Made::Task => "DELETE FROM tasks WHERE id = ?",
        };
        sqlx::query(table).bind(local).execute(&mut *tx).await?;
        drop_queued_naming(&mut tx, &gone).await?;
        tx.commit().await
    }
}

/// The next provisional number of `kind` in this copy, never handed out
/// twice (a provisional id the user saw never names another record).
async fn next_provisional(conn: &mut SqliteConnection, kind: IdKind) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES (?, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1
         RETURNING value",
    )
    .bind(format!("provisional {}", kind.prefix()))
    .fetch_one(&mut *conn)
    .await?)
}

/// Queued edits naming local row `from` of `made` name `to` instead.
async fn renumber_queued(
    conn: &mut SqliteConnection,
    made: Made,
    from: i64,
    to: i64,
) -> Result<()> {
    let queued: Vec<(i64, String)> = sqlx::query_as("SELECT id, command FROM sync_outbox")
        .fetch_all(&mut *conn)
        .await?;
    for (id, command) in queued {
        let Ok(mut edit) = serde_json::from_str::<Edit>(&command) else {
            continue;
        };
        if edit.renumber(made, from, to) {
            let command = serde_json::to_string(&edit).map_err(|e| {
                Error::from(super::HostedError::BadResponse(format!(
                    "encoding an edit: {e}"
                )))
            })?;
            sqlx::query("UPDATE sync_outbox SET command = ? WHERE id = ?")
                .bind(command)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Removes the queued edits that name any of `rows`.
async fn drop_queued_naming(conn: &mut SqliteConnection, rows: &[(Made, i64)]) -> Result<()> {
    let queued: Vec<(i64, String)> = sqlx::query_as("SELECT id, command FROM sync_outbox")
        .fetch_all(&mut *conn)
        .await?;
    for (id, command) in queued {
        let Ok(edit) = serde_json::from_str::<Edit>(&command) else {
            continue;
        };
        if rows.iter().any(|(kind, row)| edit.names(*kind, *row)) {
            sqlx::query("DELETE FROM sync_outbox WHERE id = ?")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Where the copy remembers which server id a local row became.
fn settled_key(made: Made, local: i64) -> String {
    format!("settled {} {local}", made.kind().prefix())
}

/// The number of a provisional display id of `made`'s kind (`PR-L000007`
/// is 7).
fn provisional_number(made: Made, shown: &str) -> Option<i64> {
    shown
        .strip_prefix(made.kind().prefix())?
        .strip_prefix('-')?
        .strip_prefix(crate::ids::PROVISIONAL_MARK)?
        .parse()
        .ok()
}

/// Remembers that local row `local` became server row `id` (see
/// [`Replica::settled`]).
async fn remember_settled(
    conn: &mut SqliteConnection,
    made: Made,
    local: i64,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(settled_key(made, local))
    .bind(id.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
