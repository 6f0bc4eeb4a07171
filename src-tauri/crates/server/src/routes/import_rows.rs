//! The statements of an import (see [`super::import`]): one transaction per
//! batch, one multi-row statement per table (`UNNEST` over arrays), and the
//! batch's import keys (`imported_records`, `migrations/postgres/0011`)
//! written in that same transaction, so a batch is imported whole and once.
//!
//! Imports of one account take turns on a transaction-scoped advisory lock
//! ([`IMPORT_LOCK_CLASS`], the account): two devices sending the same batch
//! at once would otherwise both find its keys missing. It is tried, never
//! waited for (a waiter would hold a pooled connection for as long as the
//! other batch takes): taken, the batch is answered `database_busy` (409),
//! which the client sends again after a pause. Only imports take it,
//! first, so it adds no lock cycle: after it come the display-id
//! counter rows (as every new session or project takes them) and, at
//! commit, the change feed's account lock (see `0006_change_feed.sql`).
//! Nothing here touches the ledger: an import costs nothing.

use crate::error::{HttpError, HttpResult};
use banter_core::hosted::import_wire::{
    digest, stored, BatchAnswer, ChildCounts, ImportUnit, ProjectBatch, SessionBatch, UnitAnswer,
};
use banter_core::ids::{display_id, IdKind};
use banter_core::ErrorCode;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;

/// The advisory lock class of imports (`pg_try_advisory_xact_lock(class,
/// key)`, the key `hashtext` of the account; the two-key form never meets
/// sqlx's one-key migration lock).
pub const IMPORT_LOCK_CLASS: i32 = 0x494d_5054; // "IMPT"

/// A unit's id in the account and its content digest.
type Imported = (i64, String);

/// Imports `batch` into `user_id`'s account at `now`.
pub async fn import_sessions(
    pool: &PgPool,
    user_id: &str,
    batch: &SessionBatch,
    now: DateTime<Utc>,
) -> HttpResult<BatchAnswer> {
    let mut tx = pool.begin().await?;
    take_turn(&mut tx, user_id).await?;
    let local_ids: Vec<i64> = batch.sessions.iter().map(|s| s.local_id).collect();
    let known = known_keys(&mut tx, user_id, &batch.source, "session", &local_ids).await?;
    let new: Vec<_> = batch
        .sessions
        .iter()
        .filter(|s| !known.contains_key(&s.local_id))
        .collect();
    let mut ids = HashMap::new();
    let mut created = ChildCounts::default();
    if !new.is_empty() {
        let displays = reserve(&mut tx, user_id, IdKind::ChatSession, new.len()).await?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             SELECT $1, d, t, c, u
               FROM UNNEST($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
                    WITH ORDINALITY AS x(d, t, c, u, n)
              ORDER BY n
             RETURNING id, display_id",
        )
        .bind(user_id)
        .bind(&displays)
        .bind(new.iter().map(|s| s.title.clone()).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.created_at).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.updated_at).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        ids = created_ids(rows, &new, &displays)?;
        let mut m = MessageColumns::default();
        for session in &new {
            let Some(&(session_id, _)) = ids.get(&session.local_id) else {
                continue;
            };
            for message in &session.messages {
                m.session.push(session_id);
                m.role.push(stored::role(message.role));
                m.content.push(message.content.as_str());
                m.status.push(stored::imported_status(message.status));
                m.error.push(message.error.as_deref());
                m.tokens.push(message.tokens);
                m.prompt_tokens.push(message.prompt_tokens);
                m.reasoning_tokens.push(message.reasoning_tokens);
                m.created_at.push(message.created_at);
                m.updated_at.push(message.updated_at);
            }
        }
        created.messages = m.insert(&mut tx, user_id).await?;
        remember(&mut tx, user_id, &batch.source, "session", &ids, now).await?;
    }
    tx.commit().await?;
    Ok(BatchAnswer {
        units: answer(&local_ids, &known, &ids),
        created,
    })
}

/// Imports `batch` into `user_id`'s account at `now`.
pub async fn import_projects(
    pool: &PgPool,
    user_id: &str,
    batch: &ProjectBatch,
    now: DateTime<Utc>,
) -> HttpResult<BatchAnswer> {
    let mut tx = pool.begin().await?;
    take_turn(&mut tx, user_id).await?;
    let local_ids: Vec<i64> = batch.projects.iter().map(|p| p.local_id).collect();
    let known = known_keys(&mut tx, user_id, &batch.source, "project", &local_ids).await?;
    let new: Vec<_> = batch
        .projects
        .iter()
        .filter(|p| !known.contains_key(&p.local_id))
        .collect();
    let mut ids = HashMap::new();
    let mut created = ChildCounts::default();
    if !new.is_empty() {
        let displays = reserve(&mut tx, user_id, IdKind::Project, new.len()).await?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "INSERT INTO projects (user_id, display_id, name, description, status, created_at, updated_at)
             SELECT $1, d, nm, ds, st, c, u
               FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[],
                           $6::timestamptz[], $7::timestamptz[])
                    WITH ORDINALITY AS x(d, nm, ds, st, c, u, n)
              ORDER BY n
             RETURNING id, display_id",
        )
        .bind(user_id)
        .bind(&displays)
        .bind(new.iter().map(|p| p.name.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|p| p.description.as_str()).collect::<Vec<_>>())
        .bind(
            new.iter()
                .map(|p| stored::project_status(p.status))
                .collect::<Vec<_>>(),
        )
        .bind(new.iter().map(|p| p.created_at).collect::<Vec<_>>())
        .bind(new.iter().map(|p| p.updated_at).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        ids = created_ids(rows, &new, &displays)?;
        created.tasks = insert_tasks(&mut tx, user_id, &new, &ids).await?;
        created.pages = insert_pages(&mut tx, user_id, &new, &ids).await?;
        remember(&mut tx, user_id, &batch.source, "project", &ids, now).await?;
    }
    tx.commit().await?;
    Ok(BatchAnswer {
        units: answer(&local_ids, &known, &ids),
        created,
    })
}

/// Which new id each unit got, with its digest: `rows` are the inserted
/// `(id, display id)`, `displays` the display ids reserved for `new` in
/// its order.
fn created_ids<T: ImportUnit>(
    rows: Vec<(i64, String)>,
    new: &[&T],
    displays: &[String],
) -> HttpResult<HashMap<i64, Imported>> {
    let by_display: HashMap<String, i64> = rows.into_iter().map(|(id, d)| (d, id)).collect();
    let mut ids = HashMap::new();
    for (unit, display) in new.iter().zip(displays) {
        let Some(&id) = by_display.get(display) else {
            continue;
        };
        let digest = digest(unit).map_err(|e| {
            sqlx::Error::Protocol(format!("an imported record cannot be digested: {e}"))
        })?;
        ids.insert(unit.local_id(), (id, digest));
    }
    if ids.len() != displays.len() {
        return Err(sqlx::Error::Protocol(
            "an imported record's row did not come back from its insert".into(),
        )
        .into());
    }
    Ok(ids)
}

/// Takes the account's import turn for this transaction, or answers
/// `database_busy` when another import of the account holds it.
async fn take_turn(tx: &mut PgConnection, user_id: &str) -> HttpResult<()> {
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext($2))")
        .bind(IMPORT_LOCK_CLASS)
        .bind(user_id)
        .fetch_one(tx)
        .await?;
    if taken {
        Ok(())
    } else {
        Err(HttpError::new(
            ErrorCode::DatabaseBusy,
            "another import into this account is being written; send the batch again shortly",
        ))
    }
}

/// The units of `local_ids` an earlier batch imported, with their ids.
async fn known_keys(
    tx: &mut PgConnection,
    user_id: &str,
    source: &str,
    kind: &str,
    local_ids: &[i64],
) -> sqlx::Result<HashMap<i64, Imported>> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT local_id, record_id, digest FROM imported_records
          WHERE user_id = $1 AND source = $2 AND kind = $3 AND local_id = ANY($4)",
    )
    .bind(user_id)
    .bind(source)
    .bind(kind)
    .bind(local_ids)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(local_id, id, digest)| (local_id, (id, digest)))
        .collect())
}

/// Takes `count` display ids of `kind` at once: the counter moves by
/// `count` and the ids are the ones it passed over.
async fn reserve(
    tx: &mut PgConnection,
    user_id: &str,
    kind: IdKind,
    count: usize,
) -> sqlx::Result<Vec<String>> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO counters (user_id, name, value) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, name) DO UPDATE SET value = counters.value + EXCLUDED.value
         RETURNING value",
    )
    .bind(user_id)
    .bind(kind.prefix())
    .bind(count)
    .fetch_one(tx)
    .await?;
    Ok((last - count + 1..=last)
        .map(|value| display_id(kind, value))
        .collect())
}

/// Writes the import keys of the units just created, with their digests.
async fn remember(
    tx: &mut PgConnection,
    user_id: &str,
    source: &str,
    kind: &str,
    ids: &HashMap<i64, Imported>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let mut local = Vec::with_capacity(ids.len());
    let mut record = Vec::with_capacity(ids.len());
    let mut digests = Vec::with_capacity(ids.len());
    for (local_id, (id, digest)) in ids {
        local.push(*local_id);
        record.push(*id);
        digests.push(digest.as_str());
    }
    sqlx::query(
        "INSERT INTO imported_records (user_id, source, kind, local_id, record_id, digest,
                                       imported_at)
         SELECT $1, $2, $3, l, r, d, $7
           FROM UNNEST($4::bigint[], $5::bigint[], $6::text[]) AS x(l, r, d)",
    )
    .bind(user_id)
    .bind(source)
    .bind(kind)
    .bind(local)
    .bind(record)
    .bind(digests)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Every unit of the batch in its order: its id and digest, from the keys
/// found (`created: false`) or just written.
fn answer(
    local_ids: &[i64],
    known: &HashMap<i64, Imported>,
    created: &HashMap<i64, Imported>,
) -> Vec<UnitAnswer> {
    local_ids
        .iter()
        .filter_map(|local_id| {
            let ((id, digest), created) = match (known.get(local_id), created.get(local_id)) {
                (Some(known), _) => (known, false),
                (None, Some(new)) => (new, true),
                (None, None) => return None,
            };
            Some(UnitAnswer {
                local_id: *local_id,
                id: *id,
                created,
                digest: digest.clone(),
            })
        })
        .collect()
}

/// The messages of a batch, column by column.
#[derive(Default)]
struct MessageColumns<'a> {
    session: Vec<i64>,
    role: Vec<&'static str>,
    content: Vec<&'a str>,
    status: Vec<&'static str>,
    error: Vec<Option<&'a str>>,
    tokens: Vec<Option<i64>>,
    prompt_tokens: Vec<Option<i64>>,
    reasoning_tokens: Vec<Option<i64>>,
    created_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
}

impl MessageColumns<'_> {
    /// One statement; rows go in the batch's order, so each session's
    /// messages keep their order (ids increase with it). Imported messages
    /// were paid for, if at all, in local mode: no credits are recorded
    /// against the account.
    async fn insert(self, tx: &mut PgConnection, user_id: &str) -> sqlx::Result<u64> {
        if self.session.is_empty() {
            return Ok(0);
        }
        let mut sessions = self.session.clone();
        sessions.dedup();
        let done = sqlx::query(
            "INSERT INTO chat_messages (session_id, user_id, role, content, status, error,
                                        tokens, prompt_tokens, reasoning_tokens, credits_used,
                                        created_at, updated_at)
             SELECT s, $1, r, c, st, e, t, pt, rt, 0, ca, ua
               FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::bigint[], $8::bigint[], $9::bigint[],
                           $10::timestamptz[], $11::timestamptz[])
                    WITH ORDINALITY AS x(s, r, c, st, e, t, pt, rt, ca, ua, n)
              ORDER BY n",
        )
        .bind(user_id)
        .bind(self.session)
        .bind(self.role)
        .bind(self.content)
        .bind(self.status)
        .bind(self.error)
        .bind(self.tokens)
        .bind(self.prompt_tokens)
        .bind(self.reasoning_tokens)
        .bind(self.created_at)
        .bind(self.updated_at)
        .execute(&mut *tx)
        .await?;
        // Each imported conversation is one path (the message tree's
        // parents follow the order) ending at its last message, and its
        // count is that path's length, as a session the server grew itself.
        sqlx::query(
            "WITH ordered AS (
                 SELECT id, session_id,
                        lag(id) OVER (PARTITION BY session_id ORDER BY id) AS parent,
                        row_number() OVER (PARTITION BY session_id ORDER BY id DESC) AS from_end,
                        count(*) OVER (PARTITION BY session_id) AS total
                   FROM chat_messages WHERE session_id = ANY($1)
             ), linked AS (
                 UPDATE chat_messages m SET parent_id = o.parent
                   FROM ordered o WHERE m.id = o.id AND o.parent IS NOT NULL
             )
             UPDATE chat_sessions s SET active_leaf_id = o.id, message_count = o.total
               FROM ordered o WHERE s.id = o.session_id AND o.from_end = 1",
        )
        .bind(sessions)
        .execute(tx)
        .await?;
        Ok(done.rows_affected())
    }
}

async fn insert_tasks(
    tx: &mut PgConnection,
    user_id: &str,
    new: &[&banter_core::hosted::import_wire::ProjectUnit],
    ids: &HashMap<i64, Imported>,
) -> sqlx::Result<u64> {
    let count: usize = new.iter().map(|p| p.tasks.len()).sum();
    if count == 0 {
        return Ok(0);
    }
    let displays = reserve(tx, user_id, IdKind::Task, count).await?;
    let mut project = Vec::with_capacity(count);
    let mut title = Vec::with_capacity(count);
    let mut description = Vec::with_capacity(count);
    let mut status = Vec::with_capacity(count);
    let mut priority = Vec::with_capacity(count);
    let mut due: Vec<Option<NaiveDate>> = Vec::with_capacity(count);
    let mut created_at = Vec::with_capacity(count);
    let mut updated_at = Vec::with_capacity(count);
    for p in new {
        let Some(&(project_id, _)) = ids.get(&p.local_id) else {
            continue;
        };
        for t in &p.tasks {
            project.push(project_id);
            title.push(t.title.as_str());
            description.push(t.description.as_str());
            status.push(stored::task_status(t.status));
            priority.push(stored::priority(t.priority));
            due.push(t.due_date);
            created_at.push(t.created_at);
            updated_at.push(t.updated_at);
        }
    }
    let done = sqlx::query(
        "INSERT INTO tasks (project_id, user_id, display_id, title, description, status,
                            priority, due_date, created_at, updated_at)
         SELECT p, $1, d, t, ds, st, pr, dd, ca, ua
           FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::date[], $9::timestamptz[], $10::timestamptz[])
                WITH ORDINALITY AS x(p, d, t, ds, st, pr, dd, ca, ua, n)
          ORDER BY n",
    )
    .bind(user_id)
    .bind(project)
    .bind(displays)
    .bind(title)
    .bind(description)
    .bind(status)
    .bind(priority)
    .bind(due)
    .bind(created_at)
    .bind(updated_at)
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

async fn insert_pages(
    tx: &mut PgConnection,
    user_id: &str,
    new: &[&banter_core::hosted::import_wire::ProjectUnit],
    ids: &HashMap<i64, Imported>,
) -> sqlx::Result<u64> {
    let mut project = Vec::new();
    let mut url = Vec::new();
    let mut title = Vec::new();
    let mut text = Vec::new();
    let mut fetched_at = Vec::new();
    for p in new {
        let Some(&(project_id, _)) = ids.get(&p.local_id) else {
            continue;
        };
        for page in &p.pages {
            project.push(project_id);
            url.push(page.url.as_str());
            title.push(page.title.as_str());
            text.push(page.text.as_str());
            fetched_at.push(page.fetched_at);
        }
    }
    if project.is_empty() {
        return Ok(0);
    }
    // No job: the page was paid for (if at all) in local mode.
    let done = sqlx::query(
        "INSERT INTO project_sources (project_id, user_id, url, title, text, fetched_at)
         SELECT p, $1, u, t, x, f
           FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
                WITH ORDINALITY AS r(p, u, t, x, f, n)
          ORDER BY n",
    )
    .bind(user_id)
    .bind(project)
    .bind(url)
    .bind(title)
    .bind(text)
    .bind(fetched_at)
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}
