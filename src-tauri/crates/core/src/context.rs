//! The user's recent projects and active tasks as a compact block for the
//! model, when they turn context on. Bounded by a token budget so a large
//! workspace never crowds out the conversation.
//!
//! Scraped pages can be megabytes, so they enter only as a title, address
//! and a short excerpt (at most [`SOURCE_EXCERPT_CHARS`] characters, cut in
//! SQL so the page is never loaded), for the few newest pages, after the
//! projects and tasks — the budget cuts them first.

use crate::error::Result;
use crate::projects::{ProjectBackend, ProjectStore, TaskFilter};
use crate::tokens;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

/// Most tokens the context block may take.
pub const CONTEXT_TOKEN_BUDGET: i64 = 1_500;
const RECENT_PROJECTS: u32 = 10;
/// How many scraped pages the block mentions at most.
const RECENT_SOURCES: u32 = 3;
/// Characters of a scraped page's text the block quotes at most.
pub const SOURCE_EXCERPT_CHARS: usize = 200;

/// What [`ContextSource::context_block`] returns.
pub type ContextFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<String>>> + Send + 'a>>;

/// Where a chat turn's context comes from: the user's projects and tasks,
/// on whichever store holds them. The chat engine asks only this, so it runs
/// the same on the desktop and on the server.
pub trait ContextSource: Send + Sync + Debug {
    /// The block within `budget` tokens, or `None` when there is nothing.
    fn context_block(&self, budget: i64) -> ContextFuture<'_>;
}

impl<S: ProjectBackend + std::fmt::Debug> ContextSource for ProjectStore<S> {
    fn context_block(&self, budget: i64) -> ContextFuture<'_> {
        Box::pin(context_block(self, budget))
    }
}

/// The block, or `None` when the user has no projects or open tasks.
pub async fn context_block<S: ProjectBackend>(
    projects: &ProjectStore<S>,
    budget: i64,
) -> Result<Option<String>> {
    let recent = projects.list_projects(false, Some(RECENT_PROJECTS)).await?;
    let open = projects
        .list_tasks(&TaskFilter {
            open_only: true,
            ..Default::default()
        })
        .await?;
    let sources = projects.recent_source_excerpts(RECENT_SOURCES).await?;
    if recent.is_empty() && open.is_empty() {
        return Ok(None);
    }
    let mut lines = vec!["The user's current work (use it when relevant):".to_string()];
    if !recent.is_empty() {
        lines.push("Projects:".into());
        lines.extend(recent.iter().map(|p| {
            let about = if p.description.is_empty() {
                String::new()
            } else {
                format!(" — {}", one_line(&p.description, 160))
            };
            format!(
                "- {} {}{about} ({} open of {} tasks)",
                p.display_id,
                one_line(&p.name, 80),
                p.open_tasks,
                p.total_tasks
            )
        }));
    }
    if !open.is_empty() {
        lines.push("Active tasks:".into());
        lines.extend(open.iter().map(|t| {
            let due = t.due_date.map(|d| format!(", due {d}")).unwrap_or_default();
            let status = serde_json::to_value(t.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let priority = serde_json::to_value(t.priority)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!(
                "- {} [{status}, {priority}{due}] {} ({})",
                t.display_id,
                one_line(&t.title, 120),
                t.project_display_id
            )
        }));
    }
    if !sources.is_empty() {
        lines.push("Saved web pages (excerpts):".into());
        lines.extend(sources.iter().map(|s| {
            format!(
                "- {} \"{}\" <{}>: {}",
                s.project_display_id,
                one_line(&s.title, 80),
                one_line(&s.url, 120),
                one_line(&s.excerpt, SOURCE_EXCERPT_CHARS)
            )
        }));
    }
    let mut block = String::new();
    let mut used = 0;
    for line in lines {
        let cost = tokens::count(&line) + 1;
        if used + cost > budget {
            block.push_str("- …\n");
            break;
        }
        used += cost;
        block.push_str(&line);
        block.push('\n');
    }
    Ok(Some(block))
}

/// `text` on one line, cut to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max - 1).collect();
    format!("{cut}…")
}
