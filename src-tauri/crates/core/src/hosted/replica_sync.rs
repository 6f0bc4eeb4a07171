//! Applying the server's change feed ([`super::changes`]) to this
//! computer's copy of the account ([`Replica`]), and the feed position the
//! copy has reached.
//!
//! A pull's changes are applied in one transaction together with the new
//! position, so a crash keeps either both or neither: the next pull starts
//! where the last applied one ended and applies nothing twice (each change
//! is a record's whole current state, so applying one again would change
//! nothing either).

use super::changes::Changed;
use super::replica::{put_message, put_session, Replica};
use crate::error::Result;
use crate::projects::{Project, Task};
use sqlx::SqliteConnection;
use std::collections::BTreeSet;

/// The settings key under which the copy keeps its feed position.
pub(super) const CURSOR_KEY: &str = "sync.cursor";

/// What a pull changed in the copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Pulled {
    /// How many changes were read from the feed.
    pub changes: usize,
    /// The feed position the copy has now reached.
    pub cursor: i64,
    /// Sessions whose rows or messages changed, or that are gone.
    pub sessions: Vec<i64>,
    /// Whether a project or task changed.
    pub projects: bool,
    /// Whether the ledger moved (the balance is the server's to tell).
    pub ledger: bool,
    /// Edits made offline that were sent first (see `hosted::outbox`).
    pub pushed: usize,
    /// Edits made offline that the server refused, as the user should hear
    /// it.
    pub refused: Vec<String>,
}

impl Replica {
    /// The feed position the copy has reached (0 before its first pull).
    pub async fn cursor(&self) -> Result<i64> {
        let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(CURSOR_KEY)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Applies `changes` (each record's latest, read after `from`) and
    /// records `cursor` as reached, in one transaction; `None`, applying
    /// nothing, when another pull (another process on this profile) moved
    /// the copy on from `from` meanwhile: its changes may be newer.
    pub(crate) async fn apply(
        &self,
        changes: Vec<Changed>,
        from: i64,
        cursor: i64,
    ) -> Result<Option<Pulled>> {
        let mut pulled = Pulled {
            changes: changes.len(),
            cursor,
            ..Pulled::default()
        };
        let mut touched = BTreeSet::new();
        let mut tx = self.db.begin_write().await?;
        let reached: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(CURSOR_KEY)
                .fetch_optional(&mut *tx)
                .await?;
        if reached.and_then(|v| v.parse().ok()).unwrap_or(0) != from {
            return Ok(None);
        }
        // Parents before children, and deletions last: a message whose
        // session arrived in the same pull finds it, and a deleted
        // session takes its messages with it.
        let (mut upserts, mut deletions): (Vec<_>, Vec<_>) =
            changes.into_iter().partition(|c| !is_deletion(c));
        upserts.sort_by_key(order);
        deletions.sort_by_key(order);
        for change in upserts.into_iter().chain(deletions) {
            match change {
                Changed::Session(session) => {
                    touched.insert(session.id);
                    put_session(&mut tx, &self.user_id, &session).await?;
                }
                Changed::Message(message) => {
                    if has_row(&mut tx, "chat_sessions", message.session_id).await? {
                        touched.insert(message.session_id);
                        put_message(&mut tx, &self.user_id, &message).await?;
                    }
                }
                Changed::Project(project) => {
                    pulled.projects = true;
                    put_project(&mut tx, &self.user_id, &project).await?;
                }
                Changed::Task(task) => {
                    if has_row(&mut tx, "projects", task.project_id).await? {
                        pulled.projects = true;
                        put_task(&mut tx, &self.user_id, &task).await?;
                    }
                }
                Changed::SessionGone(id) => {
                    touched.insert(id);
                    remove(&mut tx, "chat_sessions", id).await?;
                }
                Changed::MessageGone(id) => {
                    let session: Option<i64> =
                        sqlx::query_scalar("SELECT session_id FROM chat_messages WHERE id = ?")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    touched.extend(session);
                    remove(&mut tx, "chat_messages", id).await?;
                }
                Changed::ProjectGone(id) => {
                    pulled.projects = true;
                    remove(&mut tx, "projects", id).await?;
                }
                Changed::TaskGone(id) => {
                    pulled.projects = true;
                    remove(&mut tx, "tasks", id).await?;
                }
                Changed::Ledger => pulled.ledger = true,
                Changed::Other => {}
            }
        }
        // The copy holds every message of a session it follows by the
        // feed, so it counts them itself (the server does not announce a
        // session for each count it moves): the active path's messages.
        for id in &touched {
            crate::chat::recount_active_path(&mut tx, *id).await?;
        }
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, datetime('now'))
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(CURSOR_KEY)
        .bind(cursor.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        pulled.sessions = touched.into_iter().collect();
        Ok(Some(pulled))
    }
}

fn is_deletion(change: &Changed) -> bool {
    matches!(
        change,
        Changed::SessionGone(_)
            | Changed::MessageGone(_)
            | Changed::ProjectGone(_)
            | Changed::TaskGone(_)
    )
}

/// Parents first among upserts (sessions and projects, then what is in
/// them); children first among deletions.
fn order(change: &Changed) -> u8 {
    match change {
        Changed::Session(_) | Changed::Project(_) => 0,
        Changed::Message(_) | Changed::Task(_) => 1,
        Changed::MessageGone(_) | Changed::TaskGone(_) => 2,
        Changed::SessionGone(_) | Changed::ProjectGone(_) => 3,
        Changed::Ledger | Changed::Other => 4,
    }
}

/// `table` is one of this module's literal table names.
async fn has_row(conn: &mut SqliteConnection, table: &str, id: i64) -> Result<bool> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?)");
    Ok(sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?)
}

/// `table` is one of this module's literal table names; its children go
/// by their foreign keys' `ON DELETE CASCADE`.
async fn remove(conn: &mut SqliteConnection, table: &str, id: i64) -> Result<()> {
    let sql = format!("DELETE FROM {table} WHERE id = ?");
    sqlx::query(&sql).bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Inserts or updates a project with the server's values.
pub(super) async fn put_project(
    conn: &mut SqliteConnection,
    user_id: &str,
    project: &Project,
) -> Result<()> {
    // As for sessions: a display id held under another id is a project
    // that is gone.
    sqlx::query("DELETE FROM projects WHERE display_id = ? AND id <> ?")
        .bind(&project.display_id)
        .bind(project.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO projects (id, user_id, display_id, name, description, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET display_id = excluded.display_id, name = excluded.name,
             description = excluded.description, status = excluded.status,
             created_at = excluded.created_at, updated_at = excluded.updated_at",
    )
    .bind(project.id)
    .bind(user_id)
    .bind(&project.display_id)
    .bind(&project.name)
    .bind(&project.description)
    .bind(project.status)
    .bind(project.created_at)
    .bind(project.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts or updates a task with the server's values.
pub(super) async fn put_task(
    conn: &mut SqliteConnection,
    user_id: &str,
    task: &Task,
) -> Result<()> {
    sqlx::query("DELETE FROM tasks WHERE display_id = ? AND id <> ?")
        .bind(&task.display_id)
        .bind(task.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO tasks (id, project_id, user_id, display_id, title, description, status,
                            priority, due_date, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET project_id = excluded.project_id,
             display_id = excluded.display_id, title = excluded.title,
             description = excluded.description, status = excluded.status,
             priority = excluded.priority, due_date = excluded.due_date,
             created_at = excluded.created_at, updated_at = excluded.updated_at",
    )
    .bind(task.id)
    .bind(task.project_id)
    .bind(user_id)
    .bind(&task.display_id)
    .bind(&task.title)
    .bind(&task.description)
    .bind(task.status)
    .bind(task.priority)
    .bind(task.due_date)
    .bind(task.created_at)
    .bind(task.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{ChatMessage, ChatSession, MessageStatus, Role};
    use crate::clock::{ManualClock, SharedClock};
    use crate::hosted::HostedAccount;
    use crate::ids::RecordRef;
    use chrono::{TimeZone, Utc};
    use std::sync::Arc;

    fn reply(status: MessageStatus, content: &str) -> ChatMessage {
        let at = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        ChatMessage {
            id: 11,
            session_id: 5,
            role: Role::Assistant,
            content: content.into(),
            tokens: None,
            credits_used: 0,
            status,
            error: None,
            created_at: at,
            updated_at: at,
            parent_id: None,
            model: Some("o3-mini".into()),
            reasoning_effort: None,
        }
    }

    #[tokio::test]
    async fn a_pull_read_while_a_reply_streamed_never_puts_an_ended_reply_back() {
        let dir = tempfile::tempdir().unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        let clock: SharedClock = Arc::new(ManualClock::new(at));
        let account = HostedAccount {
            server: "https://banter.example".into(),
            user_id: "u1".into(),
            display_name: "Alice".into(),
            email: None,
            device_id: "d1".into(),
            signed_in_at: at,
        };
        let copy = Replica::open(dir.path(), &account, &clock).await.unwrap();
        let session = ChatSession {
            id: 5,
            display_id: "CH-000001".into(),
            title: None,
            created_at: at,
            updated_at: at,
            message_count: 1,
            active_leaf_id: Some(11),
            system_prompt: None,
            reasoning_effort: None,
            model: None,
        };
        let ended = reply(MessageStatus::Complete, "Lisbon in May");
        copy.apply(
            vec![Changed::Session(session), Changed::Message(ended.clone())],
            0,
            2,
        )
        .await
        .unwrap()
        .expect("applied");
        // A page read while the reply streamed, applied late (same times:
        // clocks do not order it).
        copy.apply(
            vec![Changed::Message(reply(MessageStatus::Streaming, ""))],
            2,
            3,
        )
        .await
        .unwrap()
        .expect("applied");
        let held = copy
            .chat()
            .list_messages(&RecordRef::Id(5), None, None)
            .await
            .unwrap()
            .messages;
        assert_eq!(held, vec![ended]);
        // A streaming reply is still written while it streams.
        copy.apply(
            vec![Changed::Message(ChatMessage {
                id: 12,
                ..reply(MessageStatus::Streaming, "")
            })],
            3,
            4,
        )
        .await
        .unwrap()
        .expect("applied");
        assert_eq!(copy.cursor().await.unwrap(), 4);
        // A pull that read from a cursor the copy has moved past applies
        // nothing: another pull got further meanwhile.
        let raced = copy
            .apply(vec![Changed::SessionGone(5)], 2, 3)
            .await
            .unwrap();
        assert!(raced.is_none());
        assert_eq!(copy.cursor().await.unwrap(), 4);
        assert!(copy.chat().get_session(&RecordRef::Id(5)).await.is_ok());
    }
}
