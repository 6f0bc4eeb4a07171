//! Reading an account's feed: the changes after a cursor, in order, each
//! with its record as it is now — one page read in one snapshot, so the
//! page is consistent (a record is never newer or older than the feed row
//! that announces it).

use super::records;
use banter_core::chat::{ChatMessage, ChatSession};
use banter_core::ledger::LedgerEntry;
use banter_core::projects::{Project, ProjectSource, Task};
use serde::Serialize;
use sqlx::PgPool;

/// Changes per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 500;
/// The most changes one page holds.
pub const MAX_LIMIT: u32 = 1000;

/// What changed. Each kind's record is the JSON its own route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ChangeKind {
    /// A chat session, as `GET /v1/sessions` lists it.
    Session,
    /// A message, as `GET /v1/sessions/{id}/messages` returns it (with its
    /// session's row id).
    Message,
    /// A project, as `GET /v1/projects/{id}` returns it.
    Project,
    /// A task, as `GET /v1/tasks/{id}` returns it.
    Task,
    /// A saved page, as `GET /v1/pages/{id}` returns it.
    Page,
    /// A ledger entry, as `GET /v1/ledger` lists it.
    Ledger,
}

/// Whether the record is there (its current row follows) or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// A record as its own route shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    Session(ChatSession),
    Message(ChatMessage),
    Project(Project),
    Task(Task),
    Page(ProjectSource),
    Ledger(LedgerEntry),
}

/// One record's latest change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub position: i64,
    pub kind: ChangeKind,
    /// The record's row id on the server.
    pub id: i64,
    pub op: ChangeOp,
    /// The record now; `None` when it is deleted.
    pub record: Option<Record>,
}

/// A page of changes, by position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The position of the page's last change (the `after` asked for when
    /// the page is empty): the next page starts after it.
    pub cursor: i64,
    /// Whether changes after `cursor` existed when the page was read.
    pub more: bool,
}

/// The feed row of one change.
#[derive(sqlx::FromRow)]
struct FeedRow {
    position: i64,
    kind: ChangeKind,
    entity_id: i64,
    op: ChangeOp,
}

/// `user_id`'s changes after position `after`, at most `limit`, in one
/// read-only snapshot.
pub async fn read(
    pool: &PgPool,
    user_id: &str,
    after: i64,
    limit: u32,
) -> banter_core::Result<ChangePage> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    // One more than asked: whether there is more is known without a count.
    let mut rows: Vec<FeedRow> = sqlx::query_as(
        "SELECT position, kind, entity_id, op FROM account_changes
          WHERE user_id = $1 AND position > $2
          ORDER BY position LIMIT $3",
    )
    .bind(user_id)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let wanted: Vec<(ChangeKind, i64)> = rows
        .iter()
        .filter(|row| row.op == ChangeOp::Upsert)
        .map(|row| (row.kind, row.entity_id))
        .collect();
    let mut found = records::read(&mut tx, user_id, &wanted).await?;
    tx.commit().await?;
    let cursor = rows.last().map_or(after, |row| row.position);
    let changes = rows
        .into_iter()
        .map(|row| {
            let record = match row.op {
                ChangeOp::Upsert => found.remove(&(row.kind, row.entity_id)),
                ChangeOp::Delete => None,
            };
            Change {
                position: row.position,
                kind: row.kind,
                id: row.entity_id,
                // A record the snapshot does not hold is gone, whatever its
                // row says (the triggers keep the two together, so this
                // only guards the answer's own consistency).
                op: if record.is_some() {
                    ChangeOp::Upsert
                } else {
                    ChangeOp::Delete
                },
                record,
            }
        })
        .collect();
    Ok(ChangePage {
        changes,
        cursor,
        more,
    })
}

/// `user_id`'s last position now (0 before any change).
pub async fn head(pool: &PgPool, user_id: &str) -> Result<i64, sqlx::Error> {
    let head: Option<i64> =
        sqlx::query_scalar("SELECT position FROM account_change_heads WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(head.unwrap_or(0))
}

/// The last positions of `user_ids` now (accounts with none are left out).
pub async fn heads(pool: &PgPool, user_ids: &[String]) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT user_id, position FROM account_change_heads WHERE user_id = ANY($1)")
        .bind(user_ids)
        .fetch_all(pool)
        .await
}
