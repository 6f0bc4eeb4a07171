//! Scraped web pages kept on a project (written by `crate::scrape`).

use super::ProjectStore;
use crate::error::Result;
use crate::ids::RecordRef;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;

/// The main text of a web page, stored on a project: what a scrape yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSource {
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    /// The main text (boilerplate dropped), paragraphs separated by a blank line.
    pub text: String,
    /// The page's address after redirects.
    pub source_url: String,
    pub fetched_at: DateTime<Utc>,
}

/// A source as the chat context sees it: the title and the start of the text.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SourceExcerpt {
    pub project_display_id: String,
    pub url: String,
    pub title: String,
    /// At most [`EXCERPT_CHARS`] characters of the text.
    pub excerpt: String,
}

/// How much of a source's text the chat context reads.
pub const EXCERPT_CHARS: i64 = 300;

const SOURCE_COLUMNS: &str = "id, project_id, title, text, url AS source_url, fetched_at";

impl ProjectStore {
    /// A project's sources, newest first.
    pub async fn list_sources(&self, project: &RecordRef) -> Result<Vec<ProjectSource>> {
        let project = self.get_project(project).await?;
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM project_sources
              WHERE project_id = ? AND user_id = ? ORDER BY fetched_at DESC, id DESC"
        );
        Ok(sqlx::query_as(&sql)
            .bind(project.id)
            .bind(&self.user_id)
            .fetch_all(self.db.pool())
            .await?)
    }

    /// The newest sources of active projects, cut to excerpts in SQL so a
    /// large page is never loaded for the chat context.
    pub async fn recent_source_excerpts(&self, limit: u32) -> Result<Vec<SourceExcerpt>> {
        Ok(sqlx::query_as(
            "SELECT p.display_id AS project_display_id, s.url, s.title,
                    substr(s.text, 1, ?) AS excerpt
               FROM project_sources s JOIN projects p ON p.id = s.project_id
              WHERE s.user_id = ? AND p.status = 'active'
              ORDER BY s.fetched_at DESC, s.id DESC LIMIT ?",
        )
        .bind(EXCERPT_CHARS)
        .bind(&self.user_id)
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?)
    }
}

/// Stores a source inside the caller's transaction (the scrape's job closes
/// in the same one) and touches its project.
pub(crate) async fn insert_source(
    conn: &mut SqliteConnection,
    user_id: &str,
    project_id: i64,
    job_id: i64,
    page: (&str, &str, &str),
    fetched_at: DateTime<Utc>,
) -> Result<ProjectSource> {
    let (url, title, text) = page;
    let sql = format!(
        "INSERT INTO project_sources (project_id, user_id, url, title, text, fetched_at, job_id)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {SOURCE_COLUMNS}"
    );
    let source = sqlx::query_as(&sql)
        .bind(project_id)
        .bind(user_id)
        .bind(url)
        .bind(title)
        .bind(text)
        .bind(fetched_at)
        .bind(job_id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("UPDATE projects SET updated_at = ? WHERE id = ?")
        .bind(fetched_at)
        .bind(project_id)
        .execute(conn)
        .await?;
    Ok(source)
}

/// The source a scrape job stored.
pub(crate) async fn source_of_job(
    conn: &mut SqliteConnection,
    job_id: i64,
) -> Result<Option<ProjectSource>> {
    let sql = format!("SELECT {SOURCE_COLUMNS} FROM project_sources WHERE job_id = ?");
    Ok(sqlx::query_as(&sql)
        .bind(job_id)
        .fetch_optional(conn)
        .await?)
}
