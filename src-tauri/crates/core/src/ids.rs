//! Human-friendly display ids (`CH-000001`, `PR-000001`, `TK-000001`) drawn
//! from the `counters` table inside the caller's transaction, so an id is
//! never handed out twice and never skipped by a rolled-back insert.

use crate::error::Result;
use sqlx::SqliteConnection;

/// The kinds of record that carry a display id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    ChatSession,
    Project,
    Task,
}

impl IdKind {
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::ChatSession => "CH",
            Self::Project => "PR",
            Self::Task => "TK",
        }
    }

    /// True when `s` has this kind's shape: prefix, dash, [`DISPLAY_DIGITS`]
    /// or more digits — or, for a record made on this computer and not yet
    /// on the server, [`PROVISIONAL_MARK`] before the digits
    /// ([`provisional_display_id`]).
    pub fn matches(self, s: &str) -> bool {
        s.strip_prefix(self.prefix())
            .and_then(|rest| rest.strip_prefix('-'))
            .map(|rest| rest.strip_prefix(PROVISIONAL_MARK).unwrap_or(rest))
            .is_some_and(|n| n.len() >= DISPLAY_DIGITS && n.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// The fewest digits of a display id's number (zero-padded).
pub const DISPLAY_DIGITS: usize = 6;

/// How display id `value` of `kind` is written: `CH-000012`.
pub fn display_id(kind: IdKind, value: i64) -> String {
    format!("{}-{value:0width$}", kind.prefix(), width = DISPLAY_DIGITS)
}

/// Marks a provisional display id: `PR-L000001`.
pub const PROVISIONAL_MARK: char = 'L';

/// The display id of a record made on this computer while the server could
/// not be reached (`hosted::outbox`): the server gives it its own once it
/// gets it, so this one is marked as provisional and never looks like one
/// of the server's.
pub fn provisional_display_id(kind: IdKind, value: i64) -> String {
    format!(
        "{}-{PROVISIONAL_MARK}{value:0width$}",
        kind.prefix(),
        width = DISPLAY_DIGITS
    )
}

/// Takes the next display id of `kind`.
pub async fn next_display_id(conn: &mut SqliteConnection, kind: IdKind) -> Result<String> {
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES (?, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1
         RETURNING value",
    )
    .bind(kind.prefix())
    .fetch_one(conn)
    .await?;
    Ok(display_id(kind, value))
}

#[cfg(test)]
mod tests {
    use super::IdKind;

    #[test]
    fn display_id_shape() {
        assert!(IdKind::ChatSession.matches("CH-000001"));
        assert!(IdKind::ChatSession.matches("CH-1234567"));
        assert!(!IdKind::ChatSession.matches("PR-000001"));
        assert!(!IdKind::ChatSession.matches("CH-00001"));
        assert!(!IdKind::ChatSession.matches("CH-00000a"));
    }

    #[test]
    fn a_provisional_id_is_marked_and_still_parses() {
        let id = super::provisional_display_id(IdKind::Project, 3);
        assert_eq!(id, "PR-L000003");
        assert!(IdKind::Project.matches(&id));
        assert!(!IdKind::Task.matches(&id));
        assert!(!IdKind::Project.matches("PR-L00003"));
        assert!(!IdKind::Project.matches("PR-LL000003"));
        assert_eq!(
            super::RecordRef::parse(IdKind::Project, "pr-l000003"),
            Ok(super::RecordRef::Display(id))
        );
    }
}

/// A record named either by its row id (`42`) or its display id (`CH-000042`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordRef {
    Id(i64),
    Display(String),
}

impl RecordRef {
    /// Parses what a user typed for a record of `kind`.
    pub fn parse(kind: IdKind, s: &str) -> Result<Self, crate::validate::ValidationError> {
        let s = s.trim();
        let upper = s.to_ascii_uppercase();
        if kind.matches(&upper) {
            return Ok(Self::Display(upper));
        }
        match s.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Self::Id(id)),
            _ => Err(crate::validate::ValidationError::Invalid {
                field: "id",
                reason: format!(
                    "{s:?} is neither a number nor a {}-000000 id",
                    kind.prefix()
                ),
            }),
        }
    }

    /// The two bind values for `(id = ? OR display_id = ?)`: one is NULL.
    pub(crate) fn binds(&self) -> (Option<i64>, Option<&str>) {
        match self {
            Self::Id(id) => (Some(*id), None),
            Self::Display(d) => (None, Some(d.as_str())),
        }
    }
}

impl From<i64> for RecordRef {
    fn from(id: i64) -> Self {
        Self::Id(id)
    }
}

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Display(d) => f.write_str(d),
        }
    }
}
