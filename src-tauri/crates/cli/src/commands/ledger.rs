//! `ledger`: every credit change, newest first, or `--verify` to prove the
//! rows add up to the balance. A ledger that does not add up is the core's
//! `ledger_inconsistent` error, which is not a user error (exit 2).

use crate::args::LedgerArgs;
use crate::error::CliError;
use crate::output::{label, table, when, Output};
use crate::terminal::cell;
use banter_core::hosted::HostedClient;
use banter_core::Core;

pub async fn run(
    core: &Core,
    hosted: Option<HostedClient>,
    args: LedgerArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    if args.verify {
        let report = match &hosted {
            Some(server) => server.verify_ledger().await?,
            None => core.ledger().verify(core.user_id()).await?,
        };
        return out.emit(&report, |w| {
            writeln!(
                w,
                "ledger ok: {} rows sum to {} credits (free {}, purchased {}), matching the balance",
                report.entries, report.ledger_sum, report.free_remaining, report.purchased_remaining,
            )
        });
    }
    let rows = match &hosted {
        Some(server) => server.ledger_rows(args.before, args.limit).await?,
        None => {
            core.ledger()
                .history(core.user_id(), args.before, args.limit)
                .await?
        }
    };
    out.emit(&rows, |w| {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    when(e.created_at),
                    label(&e.kind),
                    e.action.map_or("-", |a| a.as_str()).to_string(),
                    format!("{:+}", e.amount),
                    format!("{:+}", e.free_delta),
                    format!("{:+}", e.purchased_delta),
                    e.balance_after.to_string(),
                    match (&e.reference, e.refund_of) {
                        (_, Some(spend)) => format!("refund of #{spend}"),
                        (Some(r), None) => cell(r),
                        (None, None) => "-".to_string(),
                    },
                ]
            })
            .collect();
        table(
            w,
            &[
                "ID",
                "TIME (UTC)",
                "KIND",
                "ACTION",
                "AMOUNT",
                "FREE",
                "PURCHASED",
                "BALANCE",
                "REFERENCE",
            ],
            &cells,
        )?;
        // A full page may have older rows behind it.
        match rows.last() {
            Some(oldest) if rows.len() == args.limit as usize && oldest.id > 1 => {
                writeln!(w, "older rows: banter-cli ledger --before {}", oldest.id)
            }
            _ => Ok(()),
        }
    })
}
