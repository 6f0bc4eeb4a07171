//! The records a page of changes names, read as their own routes read them:
//! the core's column lists and row types, one statement per kind.

use super::feed::{ChangeKind, Record};
use banter_core::chat::{ChatMessage, ChatSession, MESSAGE_COLUMNS, SESSION_COLUMNS};
use banter_core::ledger::{LedgerEntry, ENTRY_COLUMNS};
use banter_core::projects::{
    Project, ProjectSource, Task, PROJECT_SELECT, SOURCE_COLUMNS, TASK_SELECT,
};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection};
use std::collections::HashMap;

/// The statement that reads the account's (`$1`) records of `kind` whose
/// row ids are in `$2`.
fn select(kind: ChangeKind) -> String {
    match kind {
        ChangeKind::Session => format!(
            "SELECT {SESSION_COLUMNS} FROM chat_sessions WHERE user_id = $1 AND id = ANY($2)"
        ),
        ChangeKind::Message => format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE user_id = $1 AND id = ANY($2)"
        ),
        ChangeKind::Project => format!("{PROJECT_SELECT} WHERE p.user_id = $1 AND p.id = ANY($2)"),
        ChangeKind::Task => format!("{TASK_SELECT} WHERE t.user_id = $1 AND t.id = ANY($2)"),
        ChangeKind::Page => format!(
            "SELECT {SOURCE_COLUMNS} FROM project_sources WHERE user_id = $1 AND id = ANY($2)"
        ),
        ChangeKind::Ledger => format!(
            "SELECT {ENTRY_COLUMNS} FROM credit_transactions WHERE user_id = $1 AND id = ANY($2)"
        ),
    }
}

/// The records of `wanted` that exist, by kind and row id.
pub(super) async fn read(
    conn: &mut PgConnection,
    user_id: &str,
    wanted: &[(ChangeKind, i64)],
) -> Result<HashMap<(ChangeKind, i64), Record>, sqlx::Error> {
    let mut ids: HashMap<ChangeKind, Vec<i64>> = HashMap::new();
    for (kind, id) in wanted {
        ids.entry(*kind).or_default().push(*id);
    }
    let mut found = HashMap::with_capacity(wanted.len());
    for (kind, ids) in ids {
        let rows = sqlx::query(&select(kind))
            .bind(user_id)
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            let (id, record) = decode(kind, &row)?;
            found.insert((kind, id), record);
        }
    }
    Ok(found)
}

/// One row of `kind` as its record, with its row id.
fn decode(kind: ChangeKind, row: &PgRow) -> Result<(i64, Record), sqlx::Error> {
    Ok(match kind {
        ChangeKind::Session => {
            let r = ChatSession::from_row(row)?;
            (r.id, Record::Session(r))
        }
        ChangeKind::Message => {
            let r = ChatMessage::from_row(row)?;
            (r.id, Record::Message(r))
        }
        ChangeKind::Project => {
            let r = Project::from_row(row)?;
            (r.id, Record::Project(r))
        }
        ChangeKind::Task => {
            let r = Task::from_row(row)?;
            (r.id, Record::Task(r))
        }
        ChangeKind::Page => {
            let r = ProjectSource::from_row(row)?;
            (r.id, Record::Page(r))
        }
        ChangeKind::Ledger => {
            let r = LedgerEntry::from_row(row)?;
            (r.id, Record::Ledger(r))
        }
    })
}
