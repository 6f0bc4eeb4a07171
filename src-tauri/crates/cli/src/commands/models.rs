//! `models`: the chat models a chat can be answered by. `list` shows this
//! computer's models, or the operator's when signed in; `add`, `default`
//! and `remove` change this computer's (a server's models are the
//! operator's). A key is read from stdin, never from a flag, so it stays
//! out of the shell's history.

use crate::args::{ModelArgs, ModelsCommand};
use crate::error::CliError;
use crate::output::{table, Output};
use banter_core::hosted::HostedClient;
use banter_core::models::ModelInput;
use banter_core::providers::{
    AzureConfig, ModelFamily, ModelSummary, OpenAiCompatConfig, ProviderConfig,
};
use banter_core::Core;
use std::io::BufRead;

pub async fn run(
    core: &Core,
    hosted: Option<HostedClient>,
    cmd: ModelsCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    if let (
        Some(_),
        ModelsCommand::Add(_) | ModelsCommand::Default { .. } | ModelsCommand::Remove { .. },
    ) = (&hosted, &cmd)
    {
        return Err(CliError::Usage(
            "signed in, chats use the server's models (the operator's); sign out to change this computer's"
                .into(),
        ));
    }
    let listed = match (cmd, hosted) {
        (ModelsCommand::List, Some(client)) => client.models().await?,
        (ModelsCommand::List, None) => core.model_choices().await?,
        (ModelsCommand::Add(args), _) => {
            let mut input = input(args)?;
            // A model of this name is changed rather than refused.
            let saved = core.settings().models().await?;
            if saved.models.iter().any(|m| m.name == input.name.trim()) {
                input.previous_name = Some(input.name.trim().to_string());
            }
            summaries(core.save_model(input).await?)
        }
        (ModelsCommand::Default { name }, _) => summaries(core.set_default_model(&name).await?),
        (ModelsCommand::Remove { name }, _) => summaries(core.delete_model(&name).await?),
    };
    print(&listed, out)
}

fn summaries(models: Vec<banter_core::models::ConfiguredModel>) -> Vec<ModelSummary> {
    models.into_iter().map(|m| m.summary).collect()
}

fn print(models: &[ModelSummary], out: &mut Output) -> Result<(), CliError> {
    out.emit(&models, |w| {
        let rows: Vec<Vec<String>> = models
            .iter()
            .map(|m| {
                vec![
                    if m.is_default { "*" } else { "" }.to_string(),
                    m.name.clone(),
                    m.label.clone().unwrap_or_else(|| "-".into()),
                    [
                        m.reasons.then_some("effort"),
                        m.vision.then_some("images"),
                        (!m.streams).then_some("whole replies"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
                    m.problem.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(w, &["", "name", "model", "takes", "problem"], &rows)
    })
}

/// The model `args` describe, its key read from stdin when asked.
fn input(args: ModelArgs) -> Result<ModelInput, CliError> {
    let config = match (args.azure_endpoint, args.base_url) {
        (Some(endpoint), None) => ProviderConfig::Azure(AzureConfig {
            endpoint,
            deployment: args
                .deployment
                .ok_or_else(|| CliError::Usage("--azure-endpoint needs --deployment".into()))?,
            api_version: args.api_version,
            family: if args.gpt {
                ModelFamily::Gpt
            } else {
                ModelFamily::OSeries
            },
            streams: !args.no_stream,
            reasoning_effort: None,
            max_completion_tokens: None,
            vision: args.vision,
        }),
        (None, Some(base_url)) => ProviderConfig::OpenAiCompatible(OpenAiCompatConfig {
            base_url,
            model: args
                .model_id
                .ok_or_else(|| CliError::Usage("--base-url needs --model-id".into()))?,
            streams: !args.no_stream,
            vision: args.vision,
        }),
        _ => {
            return Err(CliError::Usage(
                "give --azure-endpoint or --base-url".into(),
            ))
        }
    };
    let api_key = if args.key_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Usage(format!("reading the key from stdin: {e}")))?;
        Some(line.trim().to_string())
    } else {
        None
    };
    Ok(ModelInput {
        previous_name: None,
        name: args.name,
        config,
        api_key,
        clear_key: false,
        make_default: args.default,
    })
}
