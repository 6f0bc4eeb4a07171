//! `scrape`: a web page's title and main text, saved on a project (by the
//! server, under its address policy, when signed in).

use super::record;
use crate::args::ScrapeArgs;
use crate::error::CliError;
use crate::output::{when, Output};
use crate::terminal::{cell, text};
use banter_core::hosted::HostedClient;
use banter_core::ids::IdKind;
use banter_core::projects::Project;
use banter_core::scrape::ScrapeRequest;
use banter_core::Core;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The `--json` result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScrapeOutput<'a> {
    title: &'a str,
    text: &'a str,
    source_url: &'a str,
    fetched_at: DateTime<Utc>,
    project: &'a Project,
    created_project: bool,
    credits_used: i64,
    balance: i64,
    replayed: bool,
}

/// How much of the text the human output shows.
const PREVIEW_CHARS: usize = 600;

pub async fn run(
    core: &Core,
    hosted: Option<HostedClient>,
    args: ScrapeArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    let project = args
        .project
        .as_deref()
        .map(|id| record(IdKind::Project, id, hosted.is_some()))
        .transpose()?;
    let (got, balance) = match hosted {
        Some(client) => {
            let got = client
                .scrape(&args.url, project.as_ref(), args.idempotency_key.as_deref())
                .await?;
            (got, client.balance().await?.remaining)
        }
        None => {
            let got = core
                .scraper()
                .scrape(ScrapeRequest {
                    url: args.url,
                    project,
                    idempotency_key: args.idempotency_key,
                })
                .await?;
            (got, core.balance().await?.remaining)
        }
    };
    let source = &got.source;
    let result = ScrapeOutput {
        title: &source.title,
        text: &source.text,
        source_url: &source.source_url,
        fetched_at: source.fetched_at,
        project: &got.project,
        created_project: got.created_project,
        credits_used: -got.spend.amount,
        balance,
        replayed: got.replayed,
    };
    out.emit(&result, |w| {
        let verb = if got.created_project {
            "new project"
        } else {
            "saved on"
        };
        writeln!(
            w,
            "{} ({verb} {} {}) · {} credits left",
            cell(&source.title),
            got.project.display_id,
            cell(&got.project.name),
            balance
        )?;
        writeln!(
            w,
            "{} · fetched {} UTC",
            cell(&source.source_url),
            when(source.fetched_at)
        )?;
        writeln!(w)?;
        let preview: String = source.text.chars().take(PREVIEW_CHARS).collect();
        let more = if source.text.chars().count() > PREVIEW_CHARS {
            " …"
        } else {
            ""
        };
        writeln!(w, "{}{more}", text(&preview))
    })
}
