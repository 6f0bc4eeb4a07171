//! `generate`: the model turns a description into a project with tasks
//! (on the server when signed in).

use super::tasks;
use crate::args::GenerateArgs;
use crate::error::CliError;
use crate::output::{table, Output};
use crate::terminal::cell;
use banter_core::hosted::HostedClient;
use banter_core::projects::{GenerateRequest, Project, Task};
use banter_core::Core;
use serde::Serialize;

/// The `--json` result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerateResult<'a> {
    project: &'a Project,
    tasks: &'a [Task],
    credits_used: i64,
    balance: i64,
    repaired: bool,
    replayed: bool,
}

pub async fn run(
    core: &Core,
    hosted: Option<HostedClient>,
    args: GenerateArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    let (generated, balance) = match hosted {
        Some(client) => {
            let generated = client
                .generate(&args.prompt, args.idempotency_key.as_deref())
                .await?;
            (generated, client.balance().await?.remaining)
        }
        None => {
            core.use_configured_provider().await?;
            let generated = core
                .generator()
                .generate(GenerateRequest {
                    prompt: args.prompt,
                    idempotency_key: args.idempotency_key,
                })
                .await?;
            (generated, core.balance().await?.remaining)
        }
    };
    let result = GenerateResult {
        project: &generated.project,
        tasks: &generated.tasks,
        credits_used: -generated.spend.amount,
        balance,
        repaired: generated.repaired,
        replayed: generated.replayed,
    };
    out.emit(&result, |w| {
        let p = &generated.project;
        let verb = if generated.replayed {
            "already created"
        } else {
            "created"
        };
        writeln!(
            w,
            "{verb} {} {} with {} tasks · {} credits left",
            p.display_id,
            cell(&p.name),
            generated.tasks.len(),
            balance
        )?;
        writeln!(w)?;
        let rows: Vec<Vec<String>> = generated
            .tasks
            .iter()
            .map(|t| tasks::row(t, false))
            .collect();
        table(w, tasks::HEADERS_WITHOUT_PROJECT, &rows)
    })
}
