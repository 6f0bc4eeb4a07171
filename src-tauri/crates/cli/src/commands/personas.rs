//! `personas`: the saved personas of this profile (a system prompt and,
//! optionally, a reasoning effort) that `chat --persona NAME` starts from.
//! They stay on this computer, also when it is signed in to a server.

use crate::args::PersonasCommand;
use crate::error::CliError;
use crate::output::{label, table, Output};
use banter_core::personas::NewPersona;
use banter_core::Core;

pub async fn run(core: &Core, cmd: PersonasCommand, out: &mut Output) -> Result<(), CliError> {
    match cmd {
        PersonasCommand::List => {
            let personas = core.personas().await?;
            out.emit(&personas, |w| {
                let rows: Vec<Vec<String>> = personas
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            p.reasoning_effort
                                .map_or_else(|| "-".to_string(), |e| label(&e)),
                            p.prompt.clone(),
                        ]
                    })
                    .collect();
                table(w, &["name", "effort", "prompt"], &rows)
            })
        }
        PersonasCommand::Save {
            name,
            prompt,
            effort,
        } => {
            let saved = core
                .save_persona(NewPersona {
                    name,
                    prompt,
                    reasoning_effort: effort.map(Into::into),
                })
                .await?;
            out.emit(&saved, |w| writeln!(w, "Saved persona {}", saved.name))
        }
        PersonasCommand::Delete { name } => {
            let deleted = core.delete_persona(&name).await?;
            out.emit(&deleted, |w| {
                writeln!(w, "Deleted persona {}", deleted.name)
            })
        }
    }
}
