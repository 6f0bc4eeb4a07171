//! `account login | status | logout` (`account import` is [`super::import`]): this profile signed in to a Banter
//! server (hosted mode). Login prints the sign-in page on a line of its own
//! (with `--json`, a `{"signInUrl": …}` line), opens the browser unless
//! `--no-browser`, and waits for the browser to come back to the loopback
//! listener; the tokens go to the OS keyring.

use crate::args::AccountCommand;
use crate::error::CliError;
use crate::output::{fields, when, Output};
use banter_core::hosted::{AtSignOut, HostedAccount};
use banter_core::Core;
use serde::Serialize;
use std::time::Duration;

/// How long login waits for the browser.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// `account status --json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    signed_in: bool,
    #[serde(flatten)]
    account: Option<&'a HostedAccount>,
}

pub async fn run(core: &Core, cmd: AccountCommand, out: &mut Output) -> Result<(), CliError> {
    match cmd {
        AccountCommand::Login { server, no_browser } => login(core, &server, no_browser, out).await,
        AccountCommand::Status => status(core, out).await,
        AccountCommand::Import { remove_local } => {
            super::import::run(core, remove_local, out).await
        }
        AccountCommand::Logout {
            here_only,
            keep_copy,
        } => logout(core, here_only, keep_copy, out).await,
    }
}

async fn login(
    core: &Core,
    server: &str,
    no_browser: bool,
    out: &mut Output,
) -> Result<(), CliError> {
    let pending = core.hosted().begin_sign_in(server).await?;
    let url = pending.authorization_url().to_string();
    out.emit(&serde_json::json!({ "signInUrl": url }), |w| {
        writeln!(w, "Sign in on this page:")?;
        writeln!(w, "{url}")
    })?;
    if !no_browser {
        if let Err(error) = open::that_detached(&url) {
            eprintln!("could not open a browser ({error}); open the page above yourself");
        }
    }
    let signed = pending
        .finish(
            LOGIN_TIMEOUT,
            &banter_core::hosted::device_name("banter-cli"),
        )
        .await?;
    out.emit(&signed, |w| {
        let a = &signed.account;
        let who = match &a.email {
            Some(email) => format!("{} <{email}>", a.display_name),
            None => a.display_name.clone(),
        };
        let new = if signed.created { " (new account)" } else { "" };
        writeln!(w, "signed in to {} as {who}{new}", a.server)
    })
}

/// The local record, confirmed with the server when it answers: a device
/// the server signed out is reported (and forgotten here).
async fn status(core: &Core, out: &mut Output) -> Result<(), CliError> {
    let account = core.hosted().account().await?;
    if let Some(account) = &account {
        let client = core.hosted().client_for(account)?;
        match client.account().await {
            Ok(_) => {}
            // Offline: what this computer knows is still the answer.
            Err(e) if e.code() == banter_core::ErrorCode::Offline => {
                eprintln!("note: {e}");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let view = Status {
        signed_in: account.is_some(),
        account: account.as_ref(),
    };
    out.emit(&view, |w| match &account {
        None => writeln!(
            w,
            "local mode: not signed in (banter-cli account login --server URL)"
        ),
        Some(a) => fields(
            w,
            &[
                ("server", a.server.clone()),
                ("name", a.display_name.clone()),
                ("email", a.email.clone().unwrap_or_else(|| "(none)".into())),
                ("account", a.user_id.clone()),
                ("device", a.device_id.clone()),
                ("signed in", format!("{} UTC", when(a.signed_in_at))),
            ],
        ),
    })
}

async fn logout(
    core: &Core,
    here_only: bool,
    keep_copy: bool,
    out: &mut Output,
) -> Result<(), CliError> {
    let copy = if keep_copy {
        AtSignOut::KeepCopy
    } else {
        AtSignOut::RemoveCopy
    };
    let Some(client) = core.hosted().current().await? else {
        return out.emit(&serde_json::json!({ "signedOut": false }), |w| {
            writeln!(w, "not signed in (local mode)")
        });
    };
    if here_only {
        client.sign_out_here_only_with(copy).await;
        return out.emit(
            &serde_json::json!({ "signedOut": true, "server": client.server(), "hereOnly": true }),
            |w| {
                writeln!(w, "signed out on this computer; {} still lists this device until another one signs it out", client.server())
            },
        );
    }
    client.sign_out_with(copy).await?;
    out.emit(
        &serde_json::json!({ "signedOut": true, "server": client.server() }),
        |w| writeln!(w, "signed out of {}", client.server()),
    )
}
