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
mod credits;
mod generate;
mod import;
mod ledger;
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
use banter_core::hosted::{HostedClient, HostedHistory};
use banter_core::ids::{display_id, IdKind, RecordRef};
use banter_core::Core;

pub async fn run(core: &Core, command: Command, out: &mut Output) -> Result<(), CliError> {
    match command {
        Command::Profile => profile::run(core, out).await,
        Command::Credits => credits::run(core, hosted(core).await?, out).await,
        Command::Ledger(args) => ledger::run(core, hosted(core).await?, args, out).await,
        Command::Sessions(cmd) => sessions::run(core, history(core).await?, cmd, out).await,
        Command::Projects(cmd) => projects::run(core, hosted(core).await?, cmd, out).await,
        Command::Tasks(cmd) => tasks::run(core, hosted(core).await?, cmd, out).await,
        Command::Chat(args) => chat::run(core, history(core).await?, args, out).await,
        Command::Generate(args) => generate::run(core, hosted(core).await?, args, out).await,
        Command::Scrape(args) => scrape::run(core, hosted(core).await?, args, out).await,
        Command::Buy(args) => billing::buy(core, hosted(core).await?, args, out).await,
        Command::DeepLink(args) => billing::deep_link(core, hosted(core).await?, args, out).await,
        Command::Billing(cmd) => billing::run(core, hosted(core).await?, cmd, out).await,
        Command::Account(cmd) => account::run(core, cmd, out).await,
        Command::Sync => sync::run(history(core).await?, out).await,
    }
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
