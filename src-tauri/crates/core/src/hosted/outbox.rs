//! The outbox: edits to the account made while the server cannot be
//! reached (renaming or deleting a conversation). Each is applied to this
//! computer's copy at once and queued in the copy, in the same
//! transaction, so it survives a restart or a crash; [`HostedHistory::push`]
//! sends the queue in order when the server answers again.
//!
//! Conflicts are settled by the server's order: an edit sent later wins
//! (the last rename is the title), and an edit of a record deleted on
//! another device is dropped — the delete wins — and reported, so the user
//! hears what happened ("renamed on this computer, but deleted on another
//! device"). Each edit says what it wants to be true (a title, a record
//! gone), so one sent twice after a crash between sending and dequeuing
//! changes nothing more. Paid actions are never queued: they need the
//! server and are refused offline.

use super::error::HostedError;
use super::history::HostedHistory;
use super::outbox_projects::Made;
use super::replica::Replica;
use crate::chat::rows::ChatRows;
use crate::chat::ChatSession;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::RecordRef;
use crate::projects::{NewTask, ProjectUpdate, TaskUpdate};
use crate::validate::{required_text, MAX_TITLE_CHARS};
use serde::{Deserialize, Serialize};

/// One queued edit, naming records by their server ids — or, for a
/// project or task made offline and not yet on the server, by its negative
/// row id in the copy (see [`super::outbox_projects`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub(crate) enum Edit {
    RenameSession {
        session: i64,
        title: String,
    },
    DeleteSession {
        session: i64,
    },
    /// Made once per `key` on the server (`crate::projects::keyed`).
    CreateProject {
        project: i64,
        name: String,
        description: String,
        key: String,
    },
    UpdateProject {
        project: i64,
        update: ProjectUpdate,
    },
    /// Made once per `key`, as a project.
    AddTask {
        task: i64,
        project: i64,
        fields: NewTask,
        key: String,
    },
    UpdateTask {
        task: i64,
        update: TaskUpdate,
    },
    DeleteTask {
        task: i64,
    },
}

impl Edit {
    /// How the user is told the edit could not be made on the server.
    fn refused_because(&self, what: &str, error: &HostedError) -> String {
        let done = match self {
            Self::RenameSession { title, .. } => format!("renamed to “{title}”"),
            Self::DeleteSession { .. } | Self::DeleteTask { .. } => "deleted".to_string(),
            Self::CreateProject { .. } | Self::AddTask { .. } => "made".to_string(),
            Self::UpdateProject { .. } | Self::UpdateTask { .. } => "changed".to_string(),
        };
        if error.code() == ErrorCode::NotFound {
            format!("{what} was {done} on this computer, but it had been deleted on another device")
        } else {
            format!("{what} was {done} on this computer, but the server refused it: {error}")
        }
    }
}

impl Edit {
    /// Whether the edit names row `row` of `made`'s table.
    pub(super) fn names(&self, made: Made, row: i64) -> bool {
        match (self, made) {
            (
                Self::CreateProject { project, .. } | Self::UpdateProject { project, .. },
                Made::Project,
            )
            | (Self::AddTask { project, .. }, Made::Project) => *project == row,
            (
                Self::AddTask { task, .. }
                | Self::UpdateTask { task, .. }
                | Self::DeleteTask { task },
                Made::Task,
            ) => *task == row,
            _ => false,
        }
    }

    /// Names row `to` where it named row `from` of `made`'s table; whether
    /// anything changed.
    pub(super) fn renumber(&mut self, made: Made, from: i64, to: i64) -> bool {
        let named = match (self, made) {
            (
                Self::UpdateProject { project, .. } | Self::AddTask { project, .. },
                Made::Project,
            ) => project,
            (Self::UpdateTask { task, .. } | Self::DeleteTask { task }, Made::Task) => task,
            _ => return false,
        };
        if *named != from {
            return false;
        }
        *named = to;
        true
    }

    /// The user-facing kind and id of what the edit is about, as the copy
    /// holds it now.
    async fn about(&self, copy: &Replica) -> String {
        match self {
            Self::RenameSession { session, .. } | Self::DeleteSession { session } => copy
                .chat()
                .get_session(&RecordRef::Id(*session))
                .await
                .map_or_else(|_| "A conversation".to_string(), |s| s.display_id),
            Self::CreateProject { project, name, .. } => copy
                .projects()
                .get_project(&RecordRef::Id(*project))
                .await
                .map_or_else(
                    |_| format!("Project “{name}”"),
                    |p| format!("{} “{}”", p.display_id, p.name),
                ),
            Self::UpdateProject { project, .. } => copy
                .projects()
                .get_project(&RecordRef::Id(*project))
                .await
                .map_or_else(
                    |_| "A project".to_string(),
                    |p| format!("{} “{}”", p.display_id, p.name),
                ),
            Self::AddTask { task, fields, .. } => copy
                .projects()
                .get_task(&RecordRef::Id(*task))
                .await
                .map_or_else(
                    |_| format!("Task “{}”", fields.title),
                    |t| format!("{} “{}”", t.display_id, t.title),
                ),
            Self::UpdateTask { task, .. } | Self::DeleteTask { task } => copy
                .projects()
                .get_task(&RecordRef::Id(*task))
                .await
                .map_or_else(
                    |_| "A task".to_string(),
                    |t| format!("{} “{}”", t.display_id, t.title),
                ),
        }
    }
}

/// What a push sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Edits the server took.
    pub sent: usize,
    /// Edits the server refused (dropped from the queue), each told as the
    /// user should hear it.
    pub refused: Vec<String>,
}

impl Replica {
    /// Renames `session` in the copy and queues the rename, together.
    pub(crate) async fn rename_offline(
        &self,
        session: &RecordRef,
        title: &str,
    ) -> Result<ChatSession> {
        let title = required_text("title", title, MAX_TITLE_CHARS)?;
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        let renamed = tx
            .rename_session(&self.user_id, session, &title, now)
            .await?
            .ok_or_else(|| Error::not_found("chat session", session))?;
        let edit = Edit::RenameSession {
            session: renamed.id,
            title,
        };
        queue(&mut tx, &edit, now).await?;
        tx.commit().await?;
        Ok(renamed)
    }

    /// Deletes `session` from the copy and queues the delete, together.
    pub(crate) async fn delete_offline(&self, session: &RecordRef) -> Result<ChatSession> {
        let mut tx = self.db.begin_write().await?;
        let deleted = tx
            .delete_session(&self.user_id, session)
            .await?
            .ok_or_else(|| Error::not_found("chat session", session))?;
        // A rename queued for it would only be refused once it is gone.
        let queued: Vec<(i64, String)> = sqlx::query_as("SELECT id, command FROM sync_outbox")
            .fetch_all(&mut *tx)
            .await?;
        for (id, command) in queued {
            let renames_it = matches!(
                serde_json::from_str(&command),
                Ok(Edit::RenameSession { session, .. }) if session == deleted.id
            );
            if renames_it {
                sqlx::query("DELETE FROM sync_outbox WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let edit = Edit::DeleteSession {
            session: deleted.id,
        };
        queue(&mut tx, &edit, self.clock.now()).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// The queued edits, oldest first, with their queue ids.
    pub(crate) async fn queued(&self) -> Result<Vec<(i64, Edit)>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, command FROM sync_outbox ORDER BY id")
                .fetch_all(self.db.pool())
                .await?;
        let mut edits = Vec::with_capacity(rows.len());
        for (id, command) in rows {
            match serde_json::from_str(&command) {
                Ok(edit) => edits.push((id, edit)),
                // Written by a newer build: left for it.
                Err(error) => tracing::warn!(%error, id, "a queued edit this build cannot read"),
            }
        }
        Ok(edits)
    }

    /// Removes a sent (or refused) edit from the queue.
    pub(crate) async fn dequeue(&self, id: i64) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM sync_outbox WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }
}

pub(super) async fn queue(
    conn: &mut sqlx::SqliteConnection,
    edit: &Edit,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let command = serde_json::to_string(edit)
        .map_err(|e| Error::from(HostedError::BadResponse(format!("encoding an edit: {e}"))))?;
    sqlx::query("INSERT INTO sync_outbox (command, created_at) VALUES (?, ?)")
        .bind(command)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl HostedHistory {
    /// Sends the queued edits in order. It stops at the first the server
    /// cannot be reached for (`offline`, the rest stay queued); an edit the
    /// server refuses is dropped and reported.
    pub async fn push(&self) -> Result<Pushed> {
        let Some(copy) = self.copy() else {
            return Ok(Pushed::default());
        };
        let _one_at_a_time = copy.sync_turn().await;
        self.push_locked(copy).await
    }

    /// [`Self::push`], the caller holding the copy's sync lock.
    pub(super) async fn push_locked(&self, copy: &Replica) -> Result<Pushed> {
        let mut pushed = Pushed::default();
        // Read again after each edit: settling a record made offline
        // renumbers the edits queued after it.
        while let Some((id, edit)) = copy.queued().await?.into_iter().next() {
            match self.send_edit(copy, &edit).await {
                Ok(()) => pushed.sent += 1,
                // Deleted here and there: what the edit wanted is true.
                Err(e)
                    if matches!(edit, Edit::DeleteSession { .. } | Edit::DeleteTask { .. })
                        && e.code() == ErrorCode::NotFound =>
                {
                    pushed.sent += 1;
                }
                Err(HostedError::Server { status, error }) if status < 500 => {
                    let refused = HostedError::Server { status, error };
                    let what = edit.about(copy).await;
                    pushed.refused.push(edit.refused_because(&what, &refused));
                    // What was made here and refused there goes from the
                    // copy, with the edits queued for it.
                    match edit {
                        Edit::CreateProject { project, .. } => {
                            copy.forget_made(Made::Project, project).await?;
                        }
                        Edit::AddTask { task, .. } => copy.forget_made(Made::Task, task).await?,
                        _ => {}
                    }
                }
                Err(e) => return Err(e.into()),
            }
            copy.dequeue(id).await?;
        }
        Ok(pushed)
    }

    /// Sends one queued edit; a record the server made is settled in the
    /// copy (it takes the server's id) before the edit leaves the queue.
    async fn send_edit(&self, copy: &Replica, edit: &Edit) -> std::result::Result<(), HostedError> {
        let server = self.client();
        let settled =
            |e: Error| HostedError::BadResponse(format!("keeping what the server made: {e}"));
        match edit {
            Edit::RenameSession { session, title } => server
                .rename_session(&RecordRef::Id(*session), title)
                .await
                .map(drop),
            Edit::DeleteSession { session } => server
                .delete_session(&RecordRef::Id(*session))
                .await
                .map(drop),
            Edit::CreateProject {
                project,
                name,
                description,
                key,
            } => {
                let made = server.create_project_once(name, description, key).await?;
                copy.settle_project(*project, &made).await.map_err(settled)
            }
            Edit::UpdateProject { project, update } => server
                .update_project(&RecordRef::Id(*project), update)
                .await
                .map(drop),
            Edit::AddTask {
                task,
                project,
                fields,
                key,
            } => {
                let made = server
                    .add_task_once(&RecordRef::Id(*project), fields, key)
                    .await?;
                copy.settle_task(*task, &made).await.map_err(settled)
            }
            Edit::UpdateTask { task, update } => server
                .update_task(&RecordRef::Id(*task), update)
                .await
                .map(drop),
            Edit::DeleteTask { task } => server.delete_task(&RecordRef::Id(*task)).await,
        }
    }
}
