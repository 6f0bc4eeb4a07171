//! Scraped web pages kept on a project (written by `crate::scrape`): list,
//! read, delete — the rules written once over [`super::rows::ProjectRows`].

use super::rows::{NewSource, ProjectBackend, ProjectRows};
use super::ProjectStore;
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The main text of a web page, stored on a project: what a scrape yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
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

impl<S: ProjectBackend> ProjectStore<S> {
    /// A project's sources, newest first.
    pub async fn list_sources(&self, project: &RecordRef) -> Result<Vec<ProjectSource>> {
        let project = self.get_project(project).await?;
        self.db
            .read()
            .await?
            .list_sources(&self.user_id, project.id)
            .await
    }

    /// One of the user's saved pages by row id.
    pub async fn get_source(&self, id: i64) -> Result<ProjectSource> {
        self.db
            .read()
            .await?
            .fetch_source(&self.user_id, id)
            .await?
            .ok_or_else(|| Error::not_found("saved page", id))
    }

    /// Deletes one of the user's saved pages. The ledger row that paid for
    /// its scrape stays (append-only), and so does the job's record.
    pub async fn delete_source(&self, id: i64) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        if !tx.delete_source(&self.user_id, id).await? {
            return Err(Error::not_found("saved page", id));
        }
        S::commit(tx).await
    }

    /// The newest sources of active projects, cut to excerpts in SQL so a
    /// large page is never loaded for the chat context.
    pub async fn recent_source_excerpts(&self, limit: u32) -> Result<Vec<SourceExcerpt>> {
        self.db
            .read()
            .await?
            .recent_source_excerpts(&self.user_id, EXCERPT_CHARS, i64::from(limit))
            .await
    }
}

/// Stores a source inside the caller's transaction (the scrape's job closes
/// in the same one) and touches its project.
pub(crate) async fn insert_source<C: ProjectRows>(
    conn: &mut C,
    user_id: &str,
    source: NewSource<'_>,
) -> Result<ProjectSource> {
    let stored = conn.insert_source(user_id, source).await?;
    conn.touch_project(source.project_id, source.fetched_at)
        .await?;
    Ok(stored)
}
