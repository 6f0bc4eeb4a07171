//! One module per top-level command. Each takes the open [`Core`], asks it
//! for what the user wants, and prints through [`Output`]; no business rules
//! live here (costs, validation and ids belong to the core).
//!
//! Signed in to a server (hosted mode), `credits`, `ledger`, `sessions`,
//! `projects`, `tasks`, `chat`, `generate`, `scrape`, `buy`, `billing sync`
//! and `deep-link` get the [`HostedClient`] and act on the account through
//! it, printing exactly as in local mode; each command has one door that
//! picks. `profile` stays on this computer's profile.

mod account;
mod billing;
mod chat;
mod chat_settings;
mod credits;
mod generate;
mod import;
mod ledger;
mod models;
mod personas;
mod profile;
mod project_store;
mod projects;
mod scrape;
mod sessions;
mod sync;
mod tasks;

use crate::args::Command;
use crate::error::CliError;
use crate::output::Output;
use banter_core::hosted::{HostedClient, HostedHistory, HostedProjects};
use banter_core::ids::{display_id, IdKind, RecordRef};
use banter_core::Core;

pub async fn run(core: &Core, command: Command, out: &mut Output) -> Result<(), CliError> {
    if catches_up_first(&command) {
        catch_up(core).await?;
    }
    match command {
        Command::Profile => profile::run(core, out).await,
        Command::Credits => credits::run(core, hosted(core).await?, out).await,
        Command::Ledger(args) => ledger::run(core, hosted(core).await?, args, out).await,
        Command::Sessions(cmd) => sessions::run(core, history(core).await?, cmd, out).await,
        Command::Projects(cmd) => {
            projects::run(core, account_projects(core).await?, cmd, out).await
        }
        Command::Tasks(cmd) => tasks::run(core, account_projects(core).await?, cmd, out).await,
        Command::Chat(args) => chat::run(core, history(core).await?, args, out).await,
        Command::Personas(cmd) => personas::run(core, cmd, out).await,
        Command::Models(cmd) => models::run(core, hosted(core).await?, cmd, out).await,
        Command::Generate(args) => generate::run(core, hosted(core).await?, args, out).await,
        Command::Scrape(args) => scrape::run(core, hosted(core).await?, args, out).await,
        Command::Buy(args) => billing::buy(core, hosted(core).await?, args, out).await,
        Command::DeepLink(args) => billing::deep_link(core, hosted(core).await?, args, out).await,
        Command::Billing(cmd) => billing::run(core, hosted(core).await?, cmd, out).await,
        Command::Account(cmd) => account::run(core, cmd, out).await,
        Command::Sync => sync::run(history(core).await?, out).await,
    }
}

/// Whether `command` first brings this computer's copy up to date: every
/// command on the account does, so it works from what every device did
/// and sends what was edited here offline. `sync` does only that (itself),
/// and `profile` and `account` are about this computer and the sign-in.
fn catches_up_first(command: &Command) -> bool {
    !matches!(
        command,
        Command::Profile
            | Command::Account(_)
            | Command::Sync
            | Command::Personas(_)
            | Command::Models(_)
    )
}

/// Signed in: sends the edits queued offline and pulls the account's
/// changes, briefly (see [`HostedHistory::catch_up`]). Edits the server
/// refused are told on stderr, so a script's stdout stays the command's; a
/// device the server signed out is told so, and the command does not run.
async fn catch_up(core: &Core) -> Result<(), CliError> {
    let Some(history) = history(core).await? else {
        return Ok(());
    };
    if let Some(pulled) = history.catch_up().await? {
        for refused in &pulled.refused {
            eprintln!("not made: {refused}");
        }
    }
    Ok(())
}

/// The server this profile is signed in to, if any (hosted mode).
async fn hosted(core: &Core) -> Result<Option<HostedClient>, CliError> {
    Ok(core.hosted().current().await?)
}

/// The account's history, kept in this computer's copy and read from it
/// when the server cannot be reached (hosted mode).
async fn history(core: &Core) -> Result<Option<HostedHistory>, CliError> {
    Ok(core.hosted().history().await?)
}

/// The account's projects, tasks and saved pages, kept in this computer's
/// copy (hosted mode).
async fn account_projects(core: &Core) -> Result<Option<HostedProjects>, CliError> {
    Ok(history(core).await?.map(HostedHistory::projects))
}

/// Parses an id the user typed (`CH-000001` or `1`) with the core's rules;
/// `signed_in` says it names a record of the account on the server. There
/// a bare number is the number of the display id the user sees (`3` is
/// `PR-000003`, as `--help` says): the server's row ids are shared by every
/// account, so taken as a row id it would name another of the account's
/// records, or none.
fn record(kind: IdKind, typed: &str, signed_in: bool) -> Result<RecordRef, CliError> {
    Ok(match RecordRef::parse(kind, typed)? {
        RecordRef::Id(number) if signed_in => RecordRef::Display(display_id(kind, number)),
        parsed => parsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_is_the_display_number_only_on_the_server() {
        let parsed = |typed: &str, signed_in| record(IdKind::Project, typed, signed_in).unwrap();
        assert_eq!(parsed("3", false), RecordRef::Id(3));
        assert_eq!(parsed("3", true), RecordRef::Display("PR-000003".into()));
        for signed_in in [false, true] {
            assert_eq!(
                parsed("pr-000007", signed_in),
                RecordRef::Display("PR-000007".into())
            );
            assert!(record(IdKind::Task, "PR-000007", signed_in).is_err());
        }
    }
}
