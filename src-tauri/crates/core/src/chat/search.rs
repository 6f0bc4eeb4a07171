//! Full-text search over the user's conversations (each session's active
//! path) (SQLite FTS5, see
//! `migrations/0004_message_search.sql`), newest matches first.
//!
//! What the user types is never passed to FTS5 as query syntax: each word
//! becomes a quoted phrase (the last one a prefix), so `"`, `*`, `NEAR` or
//! `-` in a search are just text and cannot raise a syntax error.

use super::{ChatStore, Role};
use crate::db::Db;
use crate::error::Result;
use crate::validate::{required_text, ValidationError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Longest search text.
pub const MAX_QUERY_CHARS: usize = 200;
/// Default and largest number of hits.
pub const DEFAULT_HITS: u32 = 20;
pub const MAX_HITS: u32 = 100;
/// Marks around each matched term in [`SearchHit::snippet`] (STX / ETX): the
/// snippet stays plain text, and the UI builds the highlight itself.
pub const MATCH_START: char = '\u{2}';
pub const MATCH_END: char = '\u{3}';

/// One message that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub message_id: i64,
    pub session_id: i64,
    pub session_display_id: String,
    pub session_title: Option<String>,
    pub role: Role,
    /// Up to ~24 words around the match; matched terms are wrapped in
    /// [`MATCH_START`] … [`MATCH_END`].
    pub snippet: String,
    pub created_at: DateTime<Utc>,
}

/// Search runs on SQLite's FTS5 index; the server has no search yet.
impl ChatStore<Db> {
    /// Messages containing every word of `query` (the last word may be the
    /// start of a word), newest first.
    pub async fn search(&self, query: &str, limit: Option<u32>) -> Result<Vec<SearchHit>> {
        let query = required_text("query", query, MAX_QUERY_CHARS)?;
        let Some(fts) = fts_query(&query) else {
            return Err(ValidationError::Invalid {
                field: "query",
                reason: "type at least one letter or digit".into(),
            }
            .into());
        };
        let limit = limit.unwrap_or(DEFAULT_HITS).clamp(1, MAX_HITS);
        // Only the active path of each session is its conversation (see
        // `super::branches`): other versions are not found. The paths are
        // walked from each session's active leaf (the newest message when
        // none is recorded or it is not here, as `ChatRows::messages_before`).
        let hits = sqlx::query_as(
            "WITH RECURSIVE active(id, parent_id) AS (
                 SELECT m.id, m.parent_id FROM chat_sessions s
                   JOIN chat_messages m ON m.id = COALESCE(
                        (SELECT id FROM chat_messages
                          WHERE id = s.active_leaf_id AND session_id = s.id),
                        (SELECT MAX(id) FROM chat_messages WHERE session_id = s.id))
                  WHERE s.user_id = ?2
                 UNION ALL
                 SELECT m.id, m.parent_id FROM chat_messages m
                   JOIN active a ON m.id = a.parent_id AND m.id < a.id)
             SELECT m.id AS message_id, m.session_id, s.display_id AS session_display_id,
                    s.title AS session_title, m.role,
                    snippet(chat_messages_fts, 0, char(2), char(3), '…', 24) AS snippet,
                    m.created_at
               FROM chat_messages_fts
               JOIN chat_messages m ON m.id = chat_messages_fts.rowid
               JOIN chat_sessions s ON s.id = m.session_id
              WHERE chat_messages_fts MATCH ?1 AND m.user_id = ?2
                AND m.id IN (SELECT id FROM active)
              ORDER BY m.id DESC
              LIMIT ?3",
        )
        .bind(fts)
        .bind(&self.user_id)
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        Ok(hits)
    }
}

/// The FTS5 query for what the user typed: every word quoted, the last one
/// as a prefix. `None` when there is no word at all.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let (last, rest) = words.split_last()?;
    let mut query: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    query.push(format!("\"{last}\"*"));
    Some(query.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn user_text_becomes_quoted_words() {
        assert_eq!(
            fts_query("rust async").as_deref(),
            Some("\"rust\" \"async\"*")
        );
        assert_eq!(
            fts_query("NEAR(\"a\" -b*) OR c").as_deref(),
            Some("\"NEAR\" \"a\" \"b\" \"OR\" \"c\"*")
        );
        assert_eq!(fts_query("café").as_deref(), Some("\"café\"*"));
        assert_eq!(fts_query("\"*-() "), None);
    }
}
