//! `buy`, `deep-link` and `billing sync`: the same purchase paths the app
//! uses. `buy` prints the checkout page instead of opening a browser.

use crate::args::{BillingCommand, BuyArgs, DeepLinkArgs};
use crate::error::CliError;
use crate::output::{fields, table, Output};
use banter_core::billing::{Product, ReconcileReport};
use banter_core::hosted::HostedClient;
use banter_core::Core;

pub async fn buy(
    core: &Core,
    hosted: Option<HostedClient>,
    args: BuyArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    let product = Product::from_id(&args.pack).ok_or_else(|| {
        banter_core::Error::from(banter_core::billing::BillingError::UnknownProduct(
            args.pack.clone(),
        ))
    })?;
    // Signed in, the server opens the checkout: it holds the Autumn key.
    let checkout = match &hosted {
        Some(server) => server.checkout(product).await?,
        None => core.billing().checkout(product).await?,
    };
    out.emit(&checkout, |w| {
        fields(
            w,
            &[
                ("product", product.info().name),
                (
                    "pay at",
                    checkout
                        .url
                        .clone()
                        .unwrap_or_else(|| "(charged to the saved card)".into()),
                ),
                ("reference", checkout.reference.clone()),
            ],
        )?;
        writeln!(
            w,
            "Credits are added once Autumn confirms the payment: run `banter-cli billing sync`."
        )
    })
}

pub async fn deep_link(
    core: &Core,
    hosted: Option<HostedClient>,
    args: DeepLinkArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    // Signed in, the return link only makes the server reconcile.
    let report = match &hosted {
        Some(server) => server.handle_purchase_link(&args.url).await?,
        None => core.billing().handle_deep_link(&args.url).await?,
    };
    print_report(&report, out)
}

pub async fn run(
    core: &Core,
    hosted: Option<HostedClient>,
    command: BillingCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    match command {
        BillingCommand::Sync => {
            let report = match &hosted {
                Some(server) => server.refresh_purchases().await?,
                None => core.billing().reconcile().await?,
            };
            print_report(&report, out)
        }
    }
}

fn print_report(report: &ReconcileReport, out: &mut Output) -> Result<(), CliError> {
    out.emit(report, |w| {
        if report.fulfilled.is_empty() {
            writeln!(w, "No new payments.")?;
        } else {
            let rows: Vec<Vec<String>> = report
                .fulfilled
                .iter()
                .map(|f| {
                    vec![
                        f.invoice_id.clone(),
                        f.product.info().name,
                        format!("+{}", f.credits),
                    ]
                })
                .collect();
            table(w, &["invoice", "product", "credits"], &rows)?;
        }
        if let Some(until) = report.pro_until {
            writeln!(w, "Pro active until {}", until.format("%Y-%m-%d"))?;
        }
        if !report.pending.is_empty() {
            writeln!(
                w,
                "{} checkout(s) still waiting for payment.",
                report.pending.len()
            )?;
        }
        Ok(())
    })
}
