//! The account's change feed on the server, as a device reads it.
//!
//! Every change to the account's sessions, messages, projects, tasks,
//! saved pages and ledger has a position in a per-account feed
//! (`GET /v1/changes?after=`); each changed record appears once, at the
//! position of its latest change, with its current state (or as deleted).
//! Positions of one account become visible in order, so a device that has
//! read up to a position never misses a change by asking for what comes
//! after it. `GET /v1/changes/stream?after=` tells a subscribed device when
//! the feed has moved past its position; it then pulls.

use super::api::push_query;
use super::client::{Call, HostedClient};
use super::error::HostedError;
use crate::chat::{ChatMessage, ChatSession};
use crate::projects::{Project, Task};
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::Method;
use serde::Deserialize;

/// How many changes one page asks for (the server's default and at most
/// its maximum).
pub const CHANGES_PAGE: u32 = 500;

/// A page of the feed.
#[derive(Debug, Clone, Deserialize)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The position of the page's last change (`after` when it has none).
    pub cursor: i64,
    /// Whether more changes follow the cursor already.
    pub more: bool,
}

/// One record's latest change.
#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub position: i64,
    /// `session`, `message`, `project`, `task`, `page` or `ledger`; kept as
    /// text so a newer server's kinds are skipped, not an error.
    pub kind: String,
    /// The record's id on the server.
    pub id: i64,
    pub op: ChangeOp,
    /// The record as it is now (the same JSON its own route answers); none
    /// for a deleted one.
    pub record: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// A change as the copy applies it.
#[derive(Debug, Clone)]
pub(crate) enum Changed {
    Session(ChatSession),
    Message(ChatMessage),
    Project(Project),
    Task(Task),
    SessionGone(i64),
    MessageGone(i64),
    ProjectGone(i64),
    TaskGone(i64),
    /// A ledger row moved the balance (the balance is the server's; the
    /// copy keeps no ledger).
    Ledger,
    /// A kind this device does not keep (saved pages) or know.
    Other,
}

impl Change {
    /// What this change means for the copy; a record that does not read as
    /// its kind is a bad answer from the server.
    pub(crate) fn read(self) -> Result<Changed, HostedError> {
        let gone = self.op == ChangeOp::Delete;
        let id = self.id;
        let changed = match (self.kind.as_str(), gone) {
            ("session", true) => Changed::SessionGone(id),
            ("message", true) => Changed::MessageGone(id),
            ("project", true) => Changed::ProjectGone(id),
            ("task", true) => Changed::TaskGone(id),
            ("session", false) => Changed::Session(record(self)?),
            ("message", false) => Changed::Message(record(self)?),
            ("project", false) => Changed::Project(record(self)?),
            ("task", false) => Changed::Task(record(self)?),
            ("ledger", _) => Changed::Ledger,
            _ => Changed::Other,
        };
        Ok(changed)
    }
}

fn record<T: serde::de::DeserializeOwned>(change: Change) -> Result<T, HostedError> {
    let value = change.record.ok_or_else(|| {
        HostedError::BadResponse(format!(
            "the change at {} updates a {} without its record",
            change.position, change.kind
        ))
    })?;
    serde_json::from_value(value).map_err(|e| {
        HostedError::BadResponse(format!(
            "the change at {} holds a {} that does not read: {e}",
            change.position, change.kind
        ))
    })
}

impl HostedClient {
    /// The feed's changes after `after`, at most `limit`.
    pub async fn changes(&self, after: i64, limit: u32) -> Result<ChangePage, HostedError> {
        let mut url = self.transport().url("/v1/changes", &[]);
        push_query(&mut url, "after", Some(after));
        push_query(&mut url, "limit", Some(limit));
        self.get(url).await
    }

    /// Subscribes to the feed from `after`: the stream yields the feed's
    /// latest position each time it moves past what was announced (once at
    /// once when it already has), and ends when the connection does.
    pub async fn watch_changes(
        &self,
        after: i64,
    ) -> Result<impl Stream<Item = Result<i64, HostedError>> + Send, HostedError> {
        let mut url = self.transport().url("/v1/changes/stream", &[]);
        push_query(&mut url, "after", Some(after));
        let response = self
            .open(Call::<()> {
                method: Method::GET,
                url,
                body: None,
            })
            .await?;
        Ok(response
            .bytes_stream()
            .eventsource()
            .filter_map(|event| async move {
                match event {
                    Ok(event) if event.event == "changed" => Some(moved_to(&event.data)),
                    Ok(_) => None,
                    Err(e) => Some(Err(HostedError::BadResponse(format!(
                        "the change stream broke: {e}"
                    )))),
                }
            }))
    }
}

/// Reads a `changed` event's `{"position": n}`.
fn moved_to(data: &str) -> Result<i64, HostedError> {
    #[derive(Deserialize)]
    struct Moved {
        position: i64,
    }
    serde_json::from_str::<Moved>(data)
        .map(|moved| moved.position)
        .map_err(|e| HostedError::BadResponse(format!("a change event that does not read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: &str, op: ChangeOp, record: Option<serde_json::Value>) -> Change {
        Change {
            position: 7,
            kind: kind.into(),
            id: 3,
            op,
            record,
        }
    }

    #[test]
    fn an_unknown_kind_is_skipped_and_a_missing_record_is_a_bad_answer() {
        assert!(matches!(
            change("reaction", ChangeOp::Upsert, None).read(),
            Ok(Changed::Other)
        ));
        assert!(matches!(
            change("session", ChangeOp::Delete, None).read(),
            Ok(Changed::SessionGone(3))
        ));
        let err = change("session", ChangeOp::Upsert, None)
            .read()
            .unwrap_err();
        assert!(err.to_string().contains("without its record"), "{err}");
        let err = change("task", ChangeOp::Upsert, Some(serde_json::json!({"id": 3})))
            .read()
            .unwrap_err();
        assert!(err.to_string().contains("does not read"), "{err}");
    }

    #[test]
    fn a_changed_event_reads_its_position() {
        assert_eq!(moved_to(r#"{"position": 42}"#).unwrap(), 42);
        assert!(moved_to("42").is_err());
    }
}
