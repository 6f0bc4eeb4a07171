//! `credits`: the balance as the app's badge shows it, plus the reset dates.

use crate::error::CliError;
use crate::output::{day, label, Output};
use banter_core::hosted::HostedClient;
use banter_core::Core;

pub async fn run(
    core: &Core,
    hosted: Option<HostedClient>,
    out: &mut Output,
) -> Result<(), CliError> {
    // Reading the balance applies a due monthly reset, as in the app (the
    // server does the same for the account).
    let b = match hosted {
        Some(server) => server.balance().await?,
        None => core.balance().await?,
    };
    out.emit(&b, |w| {
        let plan = match (b.pro, b.pro_until) {
            (true, Some(until)) => format!("pro until {}", day(until)),
            (true, None) => "pro".to_string(),
            (false, _) => "free plan".to_string(),
        };
        writeln!(
            w,
            "{} credits (free {}, purchased {}) of {} · {} · {} · last reset {} · next reset {}",
            b.remaining,
            b.free_remaining,
            b.purchased_remaining,
            b.total,
            label(&b.band),
            plan,
            day(b.last_reset),
            day(b.next_reset),
        )
    })
}
