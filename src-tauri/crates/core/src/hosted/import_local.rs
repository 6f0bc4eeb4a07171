//! The local side of an import (see [`super::import`]): reading the units
//! not yet imported from the profile's own database (local mode's, never
//! the account's copy), recording what the server confirmed in
//! `import_progress` (`migrations/0011`), the units it cannot import
//! (`import_unimportable`), and removing confirmed units that are still as
//! the account holds them.

use super::import_wire::{
    digest_json, ImportUnit, MessageUnit, PageUnit, ProjectUnit, SessionUnit, TaskUnit,
};
use crate::chat::{MessageStatus, Role};
use crate::db::Db;
use crate::error::Result;
use crate::projects::{Priority, ProjectStatus, TaskStatus};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// What an import unit is: a session (with its messages) or a project
/// (with its tasks and saved pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnitKind {
    Session,
    Project,
}

impl UnitKind {
    /// As `import_progress.kind` and the server's keys write it.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Project => "project",
        }
    }
}

/// A unit as it will be sent: made storable ([`ImportUnit::make_storable`]),
/// its JSON size, the [`digest_json`] of that JSON, and why the server
/// would refuse it, if it would.
pub(super) struct Encoded<T> {
    pub unit: T,
    pub bytes: usize,
    pub digest: String,
    /// Its messages, or its tasks and pages.
    pub children: usize,
    /// The server's rule it breaks ([`ImportUnit::check`]): not sent.
    pub refusal: Option<String>,
}

pub(super) fn encode<T: ImportUnit>(mut unit: T) -> Result<Encoded<T>> {
    unit.make_storable();
    let json =
        serde_json::to_vec(&unit).map_err(|e| crate::validate::ValidationError::Invalid {
            field: "history",
            reason: format!("a local record cannot be written as JSON: {e}"),
        })?;
    Ok(Encoded {
        bytes: json.len(),
        digest: digest_json(&json),
        children: unit.children(),
        refusal: unit.check().err().map(|e| e.to_string()),
        unit,
    })
}

/// The profile's database and which account's import it is.
#[derive(Debug, Clone)]
pub(super) struct LocalHistory {
    pub db: Db,
    pub user_id: String,
    /// The server's origin and the account id (`import_progress.account`).
    pub account: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    title: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    session_id: i64,
    role: Role,
    content: String,
    status: MessageStatus,
    error: Option<String>,
    tokens: Option<i64>,
    prompt_tokens: Option<i64>,
    reasoning_tokens: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: i64,
    name: String,
    description: String,
    status: ProjectStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    project_id: i64,
    title: String,
    description: String,
    status: TaskStatus,
    priority: Priority,
    due_date: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PageRow {
    project_id: i64,
    url: String,
    title: String,
    text: String,
    fetched_at: DateTime<Utc>,
}

/// The ids as a JSON array, for `IN (SELECT value FROM json_each(?))`.
fn id_list(ids: &[i64]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}

impl LocalHistory {
    /// How many units of `kind` are left to import into this account: not
    /// confirmed, and not found unimportable (those stay here and do not
    /// keep the import from being complete).
    pub async fn left(&self, kind: UnitKind) -> Result<u64> {
        self.count_unconfirmed(
            kind,
            "AND NOT EXISTS (SELECT 1 FROM import_unimportable u
                              WHERE u.account = ?2 AND u.kind = ?3 AND u.local_id = r.id)",
        )
        .await
    }

    /// How many units of `kind` a run reads: every one not confirmed,
    /// including those found unimportable before (checked again).
    pub async fn pending(&self, kind: UnitKind) -> Result<u64> {
        self.count_unconfirmed(kind, "").await
    }

    async fn count_unconfirmed(&self, kind: UnitKind, and: &str) -> Result<u64> {
        let table = match kind {
            UnitKind::Session => "chat_sessions",
            UnitKind::Project => "projects",
        };
        let sql = format!(
            "SELECT COUNT(*) FROM {table} r WHERE r.user_id = ?1
               AND NOT EXISTS (SELECT 1 FROM import_progress p
                                WHERE p.account = ?2 AND p.kind = ?3 AND p.local_id = r.id)
               {and}"
        );
        let count: i64 = sqlx::query_scalar(&sql)
            .bind(&self.user_id)
            .bind(&self.account)
            .bind(kind.as_str())
            .fetch_one(self.db.pool())
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// How many units of `kind` the server confirmed for this account.
    pub async fn done(&self, kind: UnitKind) -> Result<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM import_progress WHERE account = ? AND kind = ?",
        )
        .bind(&self.account)
        .bind(kind.as_str())
        .fetch_one(self.db.pool())
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Up to `limit` sessions after id `after` not imported yet, in id
    /// order, each with all its messages in the order they were written.
    pub async fn sessions(&self, after: i64, limit: usize) -> Result<Vec<SessionUnit>> {
        let rows: Vec<SessionRow> = sqlx::query_as(
            "SELECT s.id, s.title, s.created_at, s.updated_at FROM chat_sessions s
              WHERE s.user_id = ? AND s.id > ?
                AND NOT EXISTS (SELECT 1 FROM import_progress p
                                 WHERE p.account = ? AND p.kind = 'session' AND p.local_id = s.id)
              ORDER BY s.id LIMIT ?",
        )
        .bind(&self.user_id)
        .bind(after)
        .bind(&self.account)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.pool())
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        self.with_messages(rows, &ids).await
    }

    async fn with_messages(&self, rows: Vec<SessionRow>, ids: &[i64]) -> Result<Vec<SessionUnit>> {
        let messages: Vec<MessageRow> = sqlx::query_as(
            "SELECT session_id, role, content, status, error, tokens, prompt_tokens,
                    reasoning_tokens, created_at, updated_at
               FROM chat_messages WHERE session_id IN (SELECT value FROM json_each(?))
              ORDER BY session_id, id",
        )
        .bind(id_list(ids))
        .fetch_all(self.db.pool())
        .await?;
        let mut by_session: HashMap<i64, Vec<MessageUnit>> = HashMap::new();
        for m in messages {
            by_session
                .entry(m.session_id)
                .or_default()
                .push(MessageUnit {
                    role: m.role,
                    content: m.content,
                    status: m.status,
                    error: m.error,
                    tokens: m.tokens,
                    prompt_tokens: m.prompt_tokens,
                    reasoning_tokens: m.reasoning_tokens,
                    created_at: m.created_at,
                    updated_at: m.updated_at,
                });
        }
        Ok(rows
            .into_iter()
            .map(|s| SessionUnit {
                local_id: s.id,
                title: s.title,
                created_at: s.created_at,
                updated_at: s.updated_at,
                messages: by_session.remove(&s.id).unwrap_or_default(),
            })
            .collect())
    }

    /// Up to `limit` projects after id `after` not imported yet, in id
    /// order, each with all its tasks and saved pages.
    pub async fn projects(&self, after: i64, limit: usize) -> Result<Vec<ProjectUnit>> {
        let rows: Vec<ProjectRow> = sqlx::query_as(
            "SELECT r.id, r.name, r.description, r.status, r.created_at, r.updated_at
               FROM projects r
              WHERE r.user_id = ? AND r.id > ?
                AND NOT EXISTS (SELECT 1 FROM import_progress p
                                 WHERE p.account = ? AND p.kind = 'project' AND p.local_id = r.id)
              ORDER BY r.id LIMIT ?",
        )
        .bind(&self.user_id)
        .bind(after)
        .bind(&self.account)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.pool())
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        self.with_children(rows, &ids).await
    }

    async fn with_children(&self, rows: Vec<ProjectRow>, ids: &[i64]) -> Result<Vec<ProjectUnit>> {
        let list = id_list(ids);
        let tasks: Vec<TaskRow> = sqlx::query_as(
            "SELECT project_id, title, description, status, priority, due_date, created_at,
                    updated_at
               FROM tasks WHERE project_id IN (SELECT value FROM json_each(?))
              ORDER BY project_id, id",
        )
        .bind(&list)
        .fetch_all(self.db.pool())
        .await?;
        let pages: Vec<PageRow> = sqlx::query_as(
            "SELECT project_id, url, title, text, fetched_at
               FROM project_sources WHERE project_id IN (SELECT value FROM json_each(?))
              ORDER BY project_id, id",
        )
        .bind(&list)
        .fetch_all(self.db.pool())
        .await?;
        let mut task_map: HashMap<i64, Vec<TaskUnit>> = HashMap::new();
        for t in tasks {
            task_map.entry(t.project_id).or_default().push(TaskUnit {
                title: t.title,
                description: t.description,
                status: t.status,
                priority: t.priority,
                due_date: t.due_date,
                created_at: t.created_at,
                updated_at: t.updated_at,
            });
        }
        let mut page_map: HashMap<i64, Vec<PageUnit>> = HashMap::new();
        for p in pages {
            page_map.entry(p.project_id).or_default().push(PageUnit {
                url: p.url,
                title: p.title,
                text: p.text,
                fetched_at: p.fetched_at,
            });
        }
        Ok(rows
            .into_iter()
            .map(|p| ProjectUnit {
                local_id: p.id,
                name: p.name,
                description: p.description,
                status: p.status,
                created_at: p.created_at,
                updated_at: p.updated_at,
                tasks: task_map.remove(&p.id).unwrap_or_default(),
                pages: page_map.remove(&p.id).unwrap_or_default(),
            })
            .collect())
    }

    /// Records units the server confirmed: `(local id, server id, the
    /// server's digest)`; one found unimportable before is no longer.
    pub async fn record(
        &self,
        kind: UnitKind,
        confirmed: &[(i64, i64, String)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for (local_id, server_id, digest) in confirmed {
            sqlx::query(
                "INSERT INTO import_progress (account, kind, local_id, server_id, digest, imported_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (account, kind, local_id)
                 DO UPDATE SET server_id = excluded.server_id, digest = excluded.digest",
            )
            .bind(&self.account)
            .bind(kind.as_str())
            .bind(local_id)
            .bind(server_id)
            .bind(digest)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM import_unimportable WHERE account = ? AND kind = ? AND local_id = ?",
            )
            .bind(&self.account)
            .bind(kind.as_str())
            .bind(local_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Records units of `kind` this client cannot import: `(local id, why)`.
    pub async fn record_unimportable(
        &self,
        kind: UnitKind,
        units: &[(i64, String)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if units.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin_write().await?;
        for (local_id, reason) in units {
            sqlx::query(
                "INSERT INTO import_unimportable (account, kind, local_id, reason, found_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (account, kind, local_id)
                 DO UPDATE SET reason = excluded.reason, found_at = excluded.found_at",
            )
            .bind(&self.account)
            .bind(kind.as_str())
            .bind(local_id)
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// The confirmed units of `kind`: local id → digest.
    pub async fn confirmed(&self, kind: UnitKind) -> Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT local_id, digest FROM import_progress
              WHERE account = ? AND kind = ? ORDER BY local_id",
        )
        .bind(&self.account)
        .bind(kind.as_str())
        .fetch_all(self.db.pool())
        .await?)
    }

    /// The digest of unit `local_id` of `kind` as it would be sent now
    /// (`None`: gone).
    pub async fn encoded_now(&self, kind: UnitKind, local_id: i64) -> Result<Option<String>> {
        let digest = match kind {
            UnitKind::Session => {
                let rows: Vec<SessionRow> = sqlx::query_as(
                    "SELECT id, title, created_at, updated_at FROM chat_sessions
                      WHERE user_id = ? AND id = ?",
                )
                .bind(&self.user_id)
                .bind(local_id)
                .fetch_all(self.db.pool())
                .await?;
                let units = self.with_messages(rows, &[local_id]).await?;
                match units.into_iter().next() {
                    Some(unit) => Some(encode(unit)?.digest),
                    None => None,
                }
            }
            UnitKind::Project => {
                let rows: Vec<ProjectRow> = sqlx::query_as(
                    "SELECT id, name, description, status, created_at, updated_at FROM projects
                      WHERE user_id = ? AND id = ?",
                )
                .bind(&self.user_id)
                .bind(local_id)
                .fetch_all(self.db.pool())
                .await?;
                let units = self.with_children(rows, &[local_id]).await?;
                match units.into_iter().next() {
                    Some(unit) => Some(encode(unit)?.digest),
                    None => None,
                }
            }
        };
        Ok(digest)
    }

    /// Whether a message of local session `local_id` has attachments.
    async fn session_has_files(&self, local_id: i64) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM message_attachments a
                              JOIN chat_messages m ON m.id = a.message_id
                             WHERE m.session_id = ? AND m.user_id = ?)",
        )
        .bind(local_id)
        .bind(&self.user_id)
        .fetch_one(self.db.pool())
        .await?)
    }

    /// Deletes the local unit `local_id` of `kind` if its digest is still
    /// `digest` (checked and deleted in one write transaction); true when
    /// it was deleted.
    pub async fn remove_if_unchanged(
        &self,
        kind: UnitKind,
        local_id: i64,
        digest: &str,
    ) -> Result<bool> {
        // The write lock first: nothing can change the unit between the
        // check and the delete.
        let mut tx = self.db.begin_write().await?;
        if self.encoded_now(kind, local_id).await?.as_deref() != Some(digest) {
            return Ok(false);
        }
        // The import does not carry a message's files yet: a conversation
        // with files stays on this computer, whole, after its text went up.
        if kind == UnitKind::Session && self.session_has_files(local_id).await? {
            return Ok(false);
        }
        let sql = match kind {
            UnitKind::Session => "DELETE FROM chat_sessions WHERE user_id = ? AND id = ?",
            UnitKind::Project => "DELETE FROM projects WHERE user_id = ? AND id = ?",
        };
        let done = sqlx::query(sql)
            .bind(&self.user_id)
            .bind(local_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
