//! What an import of local-mode history sends to the server and what the
//! server answers (`POST /v1/import/sessions`, `POST /v1/import/projects`),
//! and the checks the server applies to a batch before it writes anything.
//!
//! A batch holds whole units: a session with all its messages, a project
//! with all its tasks and saved pages. Each unit is named by its import
//! key — the importing profile's id (`source`), the kind, and the unit's id
//! in that profile's database (`localId`) — which the server keeps with the
//! id it gave the unit, so a batch sent twice creates nothing twice.
//!
//! The rules a unit must meet ([`ImportUnit::check`]) live here once: the
//! server applies them to every batch, and the client to every unit before
//! sending, so one unit the server would refuse is left out and reported
//! rather than failing its whole batch on every attempt. The content digest
//! ([`digest`]) is computed the same way on both sides, so the server can
//! say what it holds for a unit and the client compare it with what it has.

use crate::chat::{MessageStatus, Role};
use crate::projects::{Priority, ProjectStatus, TaskStatus};
use crate::validate::{ValidationError, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// The most units (sessions or projects) in one batch.
pub const MAX_BATCH_UNITS: usize = 100;
/// The most messages, or tasks and pages together, in one batch.
pub const MAX_BATCH_CHILDREN: usize = 10_000;
/// The largest batch body the server reads. The client aims at
/// [`TARGET_BATCH_BYTES`] and never sends a unit larger than this.
pub const MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;
/// The size a client fills a batch up to (one unit may exceed it alone).
/// An import request has the client's ordinary whole-request timeout
/// ([`super::REQUEST_TIMEOUT`]), which includes the upload: about 1 MB keeps a
/// batch within it on a slow uplink (1 Mbit/s sends it in about 8 s).
pub const TARGET_BATCH_BYTES: usize = 1024 * 1024;
/// The longest `source` (a profile id is a 36-character UUID).
pub const MAX_SOURCE_CHARS: usize = 64;

/// Sessions with their messages, from the profile `source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionBatch {
    pub source: String,
    pub sessions: Vec<SessionUnit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionUnit {
    pub local_id: i64,
    pub title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In the order they were written (the server keeps it).
    pub messages: Vec<MessageUnit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageUnit {
    pub role: Role,
    pub content: String,
    /// A reply still `streaming` here is stored as `stopped`: no process on
    /// the server is writing it.
    pub status: MessageStatus,
    pub error: Option<String>,
    pub tokens: Option<i64>,
    pub prompt_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Projects with their tasks and saved pages, from the profile `source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectBatch {
    pub source: String,
    pub projects: Vec<ProjectUnit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectUnit {
    pub local_id: i64,
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tasks: Vec<TaskUnit>,
    pub pages: Vec<PageUnit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskUnit {
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A saved web page (its text as scraped; nothing is fetched again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageUnit {
    pub url: String,
    pub title: String,
    pub text: String,
    pub fetched_at: DateTime<Utc>,
}

/// The server's answer to a batch: every unit of it, in the batch's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAnswer {
    pub units: Vec<UnitAnswer>,
    /// Child records this batch created (messages, or tasks and pages).
    pub created: ChildCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitAnswer {
    pub local_id: i64,
    /// The unit's id in the account.
    pub id: i64,
    /// `false`: an earlier batch had imported it already (nothing written).
    pub created: bool,
    /// The [`digest`] of the unit as the server received it the first time
    /// — what the account holds, which may differ from what was sent now
    /// when the unit changed locally after a batch whose answer was lost.
    pub digest: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildCounts {
    pub messages: u64,
    pub tasks: u64,
    pub pages: u64,
}

impl SessionBatch {
    /// The server's checks, before anything is written.
    pub fn check(&self) -> Result<(), ValidationError> {
        check_source(&self.source)?;
        check_units(self.sessions.iter().map(|s| s.local_id), "sessions")?;
        let messages: usize = self.sessions.iter().map(|s| s.messages.len()).sum();
        at_most("messages", messages, MAX_BATCH_CHILDREN)?;
        self.sessions.iter().try_for_each(ImportUnit::check)
    }
}

impl ProjectBatch {
    /// The server's checks, before anything is written.
    pub fn check(&self) -> Result<(), ValidationError> {
        check_source(&self.source)?;
        check_units(self.projects.iter().map(|p| p.local_id), "projects")?;
        let children: usize = self.projects.iter().map(ImportUnit::children).sum();
        at_most("tasks", children, MAX_BATCH_CHILDREN)?;
        self.projects.iter().try_for_each(ImportUnit::check)
    }
}

/// A session or a project as an import sends it.
pub trait ImportUnit: Serialize {
    /// Its id in the importing profile's database.
    fn local_id(&self) -> i64;
    /// Its messages, or its tasks and pages.
    fn children(&self) -> usize;
    /// The rules the server applies to each unit of a batch.
    fn check(&self) -> Result<(), ValidationError>;
    /// Replaces what the server's database cannot hold but the local one
    /// can (a NUL character, [`storable`]) so the unit can be imported.
    fn make_storable(&mut self);
}

impl ImportUnit for SessionUnit {
    fn local_id(&self) -> i64 {
        self.local_id
    }

    fn children(&self) -> usize {
        self.messages.len()
    }

    fn check(&self) -> Result<(), ValidationError> {
        if let Some(title) = &self.title {
            text("title", title, Some(MAX_TITLE_CHARS))?;
        }
        for message in &self.messages {
            text("content", &message.content, None)?;
            if let Some(error) = &message.error {
                text("error", error, None)?;
            }
        }
        Ok(())
    }

    fn make_storable(&mut self) {
        if let Some(title) = &mut self.title {
            storable(title);
        }
        for message in &mut self.messages {
            storable(&mut message.content);
            if let Some(error) = &mut message.error {
                storable(error);
            }
        }
    }
}

impl ImportUnit for ProjectUnit {
    fn local_id(&self) -> i64 {
        self.local_id
    }

    fn children(&self) -> usize {
        self.tasks.len() + self.pages.len()
    }

    fn check(&self) -> Result<(), ValidationError> {
        named("name", &self.name)?;
        text(
            "description",
            &self.description,
            Some(MAX_DESCRIPTION_CHARS),
        )?;
        for task in &self.tasks {
            named("title", &task.title)?;
            text(
                "description",
                &task.description,
                Some(MAX_DESCRIPTION_CHARS),
            )?;
        }
        for page in &self.pages {
            text("url", &page.url, None)?;
            text("title", &page.title, None)?;
            text("text", &page.text, None)?;
        }
        Ok(())
    }

    fn make_storable(&mut self) {
        storable(&mut self.name);
        storable(&mut self.description);
        for task in &mut self.tasks {
            storable(&mut task.title);
            storable(&mut task.description);
        }
        for page in &mut self.pages {
            storable(&mut page.url);
            storable(&mut page.title);
            storable(&mut page.text);
        }
    }
}

/// `value` with each NUL character (which SQLite's TEXT holds and
/// Postgres' cannot) replaced by U+FFFD, the replacement character.
pub fn storable(value: &mut String) {
    if value.contains('\0') {
        *value = value.replace('\0', "\u{FFFD}");
    }
}

/// A unit's content digest: SHA-256 of its JSON, in hex. Both sides hash
/// the same struct serialized by the same code, so a unit the server
/// received unchanged has the digest the client computed before sending.
pub fn digest<T: Serialize>(unit: &T) -> Result<String, serde_json::Error> {
    Ok(digest_json(&serde_json::to_vec(unit)?))
}

/// [`digest`] of a unit's JSON already written.
pub fn digest_json(json: &[u8]) -> String {
    Sha256::digest(json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A profile id: letters, digits and dashes.
fn check_source(source: &str) -> Result<(), ValidationError> {
    let shaped = !source.is_empty()
        && source.chars().count() <= MAX_SOURCE_CHARS
        && source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if shaped {
        Ok(())
    } else {
        Err(ValidationError::Invalid {
            field: "source",
            reason: format!(
                "the importing profile's id: 1 to {MAX_SOURCE_CHARS} letters, digits or dashes"
            ),
        })
    }
}

/// 1 to [`MAX_BATCH_UNITS`] units with positive ids, none twice.
fn check_units(
    ids: impl ExactSizeIterator<Item = i64>,
    field: &'static str,
) -> Result<(), ValidationError> {
    if ids.len() == 0 {
        return Err(ValidationError::Empty { field });
    }
    at_most(field, ids.len(), MAX_BATCH_UNITS)?;
    let mut seen = HashSet::new();
    for id in ids {
        if id <= 0 || !seen.insert(id) {
            return Err(ValidationError::Invalid {
                field: "localId",
                reason: format!("{id} is not a positive id given once in the batch"),
            });
        }
    }
    Ok(())
}

fn at_most(field: &'static str, count: usize, max: usize) -> Result<(), ValidationError> {
    if count > max {
        return Err(ValidationError::Invalid {
            field,
            reason: format!("{count} in one batch; at most {max}"),
        });
    }
    Ok(())
}

/// Text the database can hold (no NUL character), within `max` characters.
fn text(field: &'static str, value: &str, max: Option<usize>) -> Result<(), ValidationError> {
    if value.contains('\0') {
        return Err(ValidationError::Invalid {
            field,
            reason: "contains a NUL character".into(),
        });
    }
    if let Some(max) = max {
        let actual = value.chars().count();
        if actual > max {
            return Err(ValidationError::TooLong { field, max, actual });
        }
    }
    Ok(())
}

/// A name or title: not blank, at most [`MAX_TITLE_CHARS`].
fn named(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Empty { field });
    }
    text(field, value, Some(MAX_TITLE_CHARS))
}

/// How each enum is stored (the columns' TEXT values).
pub mod stored {
    use super::*;

    pub fn role(role: Role) -> &'static str {
        match role {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
        }
    }

    /// A reply still streaming here is imported as stopped.
    pub fn imported_status(status: MessageStatus) -> &'static str {
        match status {
            MessageStatus::Complete => "complete",
            MessageStatus::Streaming | MessageStatus::Stopped => "stopped",
            MessageStatus::Interrupted => "interrupted",
            MessageStatus::Filtered => "filtered",
            MessageStatus::Error => "error",
        }
    }

    pub fn project_status(status: ProjectStatus) -> &'static str {
        match status {
            ProjectStatus::Active => "active",
            ProjectStatus::Archived => "archived",
        }
    }

    pub fn task_status(status: TaskStatus) -> &'static str {
        match status {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
        }
    }

    pub fn priority(priority: Priority) -> &'static str {
        match priority {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(local_id: i64) -> SessionUnit {
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        SessionUnit {
            local_id,
            title: Some("t".into()),
            created_at: at,
            updated_at: at,
            messages: vec![MessageUnit {
                role: Role::User,
                content: "hi".into(),
                status: MessageStatus::Complete,
                error: None,
                tokens: None,
                prompt_tokens: None,
                reasoning_tokens: None,
                created_at: at,
                updated_at: at,
            }],
        }
    }

    fn batch(sessions: Vec<SessionUnit>) -> SessionBatch {
        SessionBatch {
            source: "0b6f0c1e-4f4e-4a57-9d3c-1f1f1f1f1f1f".into(),
            sessions,
        }
    }

    #[test]
    fn a_batch_is_checked_before_anything_is_written() {
        assert!(batch(vec![session(1), session(2)]).check().is_ok());
        let field = |b: SessionBatch| b.check().unwrap_err().field();
        assert_eq!(field(batch(vec![])), "sessions");
        assert_eq!(field(batch(vec![session(1), session(1)])), "localId");
        assert_eq!(field(batch(vec![session(0)])), "localId");
        let many = (1..=MAX_BATCH_UNITS as i64 + 1).map(session).collect();
        assert_eq!(field(batch(many)), "sessions");
        let mut nul = session(1);
        nul.messages[0].content = "a\0b".into();
        assert_eq!(field(batch(vec![nul])), "content");
        let mut long = session(1);
        long.title = Some("x".repeat(MAX_TITLE_CHARS + 1));
        assert_eq!(field(batch(vec![long])), "title");
        let mut bad_source = batch(vec![session(1)]);
        bad_source.source = "a/b".into();
        assert_eq!(field(bad_source), "source");
    }

    #[test]
    fn a_nul_is_made_storable_and_what_is_left_is_checked_per_unit() {
        let mut nul = session(1);
        nul.title = Some("a\0title".into());
        nul.messages[0].content = "a\0b\0".into();
        nul.messages[0].error = Some("\0".into());
        assert_eq!(nul.check().unwrap_err().field(), "title");
        nul.make_storable();
        assert_eq!(nul.title.as_deref(), Some("a\u{FFFD}title"));
        assert_eq!(nul.messages[0].content, "a\u{FFFD}b\u{FFFD}");
        assert_eq!(nul.messages[0].error.as_deref(), Some("\u{FFFD}"));
        assert!(nul.check().is_ok());
        // Still too long after that: not importable, whatever is done here.
        let mut long = session(2);
        long.title = Some("\0".repeat(MAX_TITLE_CHARS + 1));
        long.make_storable();
        assert_eq!(long.check().unwrap_err().field(), "title");
    }

    #[test]
    fn the_server_digests_what_it_received_as_the_client_digested_what_it_sent() {
        let mut unit = session(3);
        unit.messages[0].content = "é ✓ «quotes» \u{FFFD} \"\\ \n".into();
        unit.messages[0].created_at += chrono::Duration::nanoseconds(123_456_789);
        let sent = serde_json::to_vec(&unit).unwrap();
        let received: SessionUnit = serde_json::from_slice(&sent).unwrap();
        assert_eq!(digest(&received).unwrap(), digest_json(&sent));
        let mut changed = received.clone();
        changed.messages.push(changed.messages[0].clone());
        assert_ne!(digest(&changed).unwrap(), digest_json(&sent));
        assert_eq!(digest_json(&sent).len(), 64);
    }

    #[test]
    fn stored_names_are_the_serde_names() {
        for status in [
            MessageStatus::Complete,
            MessageStatus::Interrupted,
            MessageStatus::Stopped,
            MessageStatus::Filtered,
            MessageStatus::Error,
        ] {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, stored::imported_status(status));
        }
        assert_eq!(stored::imported_status(MessageStatus::Streaming), "stopped");
        for role in [Role::User, Role::Assistant, Role::System] {
            assert_eq!(serde_json::to_value(role).unwrap(), stored::role(role));
        }
        for p in [
            Priority::Low,
            Priority::Medium,
            Priority::High,
            Priority::Urgent,
        ] {
            assert_eq!(serde_json::to_value(p).unwrap(), stored::priority(p));
        }
        for s in [TaskStatus::Todo, TaskStatus::InProgress, TaskStatus::Done] {
            assert_eq!(serde_json::to_value(s).unwrap(), stored::task_status(s));
        }
        for s in [ProjectStatus::Active, ProjectStatus::Archived] {
            assert_eq!(serde_json::to_value(s).unwrap(), stored::project_status(s));
        }
    }
}
