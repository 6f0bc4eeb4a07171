//! Which door a command goes through: the local core, or — when the
//! profile is signed in — the operator's server through the core's hosted
//! client (`banter_core::hosted`). The server is then the authority for
//! money, history and keys; local-mode data stays where it is, untouched.

use banter_core::hosted::{HostedClient, HostedHistory, HostedProjects};
use banter_core::{ApiError, Core};

/// The signed-in client, or `None` in local mode.
pub async fn signed_in(core: &Core) -> Result<Option<HostedClient>, ApiError> {
    Ok(core.hosted().current().await?)
}

/// The signed-in account's history (the server, kept in this computer's
/// copy and read from it offline), or `None` in local mode.
pub async fn history(core: &Core) -> Result<Option<HostedHistory>, ApiError> {
    Ok(core.hosted().history().await?)
}

/// The signed-in account's projects, tasks and saved pages, read from
/// this computer's copy and edited offline when the server cannot be
/// reached (hosted mode).
pub async fn projects(core: &Core) -> Result<Option<HostedProjects>, ApiError> {
    Ok(history(core).await?.map(HostedHistory::projects))
}
