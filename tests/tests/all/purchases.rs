//! Buying credits through the mock Autumn over real HTTP: checkout → pay →
//! the `banter://` return → reconcile, which alone grants credits, exactly
//! once per paid invoice — also when the link comes twice, comes before the
//! payment is visible, never comes, or is forged; Autumn down; Pro. Odd
//! billing data (an invoice without an id, a zero quantity, an unknown
//! product, an answer about another customer, a period end centuries away)
//! is skipped or refused without costing the good purchases.

use banter_core::billing::service::PRO_OFFLINE_GRACE;
use banter_core::billing::validate::PRO_MAX_PERIOD;
use banter_core::billing::{PollPolicy, Product};
use banter_core::ledger::{Action, EntryKind};
use banter_core::providers::Secret;
use banter_core::Core;
use banter_core::ErrorCode;
use banter_mocks::autumn::{paid_invoice, start_autumn, AutumnConfig, AutumnServer};
use banter_tests::{ledger_rows, rows_of_kind, verify, Env};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

const KEY: &str = "am_sk_test_mock";

async fn autumn(lag_ms: u64) -> AutumnServer {
    let config = AutumnConfig {
        secret_key: KEY.into(),
        payment_lag: Duration::from_millis(lag_ms),
    };
    start_autumn(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("start mock Autumn")
}

async fn shop(env: &Env, server: &AutumnServer) -> Core {
    let core = env.open().await;
    core.billing()
        .connect(&server.base_url(), Secret::new(KEY))
        .expect("connect");
    core.billing().set_poll_policy(PollPolicy {
        every: Duration::from_millis(50),
        for_at_most: Duration::from_secs(10),
    });
    core
}

/// Deep links stop polling after 200 ms (for links with nothing behind them).
fn give_up_polling_soon(core: &Core) {
    core.billing().set_poll_policy(PollPolicy {
        every: Duration::from_millis(20),
        for_at_most: Duration::from_millis(200),
    });
}

/// A shop on a fresh mock Autumn whose customer has just paid for a
/// 500-credit pack in the browser; returns the return link it was sent to.
/// Deep links give up polling soon (see [`give_up_polling_soon`]).
async fn paid_500_pack(env: &Env) -> (AutumnServer, Core, String) {
    let server = autumn(0).await;
    let core = shop(env, &server).await;
    give_up_polling_soon(&core);
    let checkout = core
        .billing()
        .checkout(Product::Credits500)
        .await
        .expect("checkout");
    let link = pay(checkout.url.as_deref().expect("a payment page")).await;
    (server, core, link)
}

/// Pays like the browser does; returns where the mock sends the browser.
async fn pay(checkout_url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let page = browser
        .get(checkout_url)
        .send()
        .await
        .expect("the pay page");
    assert!(page.status().is_success());
    assert!(page.text().await.expect("its text").contains("Pay $"));
    let paid = browser.post(checkout_url).send().await.expect("paying");
    assert_eq!(paid.status().as_u16(), 303);
    paid.headers()["location"]
        .to_str()
        .expect("a text location")
        .to_string()
}

async fn remaining(core: &Core) -> i64 {
    core.balance().await.expect("balance").remaining
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_pay_and_return_grant_500_once_even_when_the_link_comes_twice() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(0).await;
    let core = shop(&env, &server).await;

    let checkout = core.billing().checkout(Product::Credits500).await.unwrap();
    let url = checkout.url.clone().expect("a payment page");
    assert!(url.starts_with(&server.base_url()), "{url}");
    assert_eq!(core.billing().pending().await.unwrap().len(), 1);
    assert_eq!(
        remaining(&core).await,
        100,
        "nothing is granted before paying"
    );

    let link = pay(&url).await;
    assert_eq!(
        link,
        format!("banter://purchase/complete?ref={}", checkout.reference)
    );
    let report = core.billing().handle_deep_link(&link).await.unwrap();
    assert_eq!(report.fulfilled.len(), 1);
    assert_eq!(report.fulfilled[0].credits, 500);
    assert!(report.pending.is_empty());
    assert_eq!(remaining(&core).await, 600);

    // The same link again (double click, second instance): nothing more.
    let again = core.billing().handle_deep_link(&link).await.unwrap();
    assert!(again.fulfilled.is_empty());
    assert_eq!(remaining(&core).await, 600);
    let purchases = rows_of_kind(&core, EntryKind::Purchase).await;
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].purchased_delta, 500);
    assert_eq!(
        purchases[0].reference.as_deref(),
        Some(report.fulfilled[0].invoice_id.as_str())
    );
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_beats_the_payment_polls_until_autumn_knows() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(700).await;
    let core = shop(&env, &server).await;
    let checkout = core.billing().checkout(Product::Credits1000).await.unwrap();
    let link = pay(checkout.url.as_deref().unwrap()).await;
    // Autumn learns of the payment 700 ms after the browser came back.
    let report = core.billing().handle_deep_link(&link).await.unwrap();
    assert_eq!(report.fulfilled.len(), 1);
    assert_eq!(remaining(&core).await, 1100);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_link_is_made_good_by_the_next_start() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(0).await;
    let core = shop(&env, &server).await;
    let checkout = core.billing().checkout(Product::Credits5000).await.unwrap();
    let _never_delivered = pay(checkout.url.as_deref().unwrap()).await;
    core.close().await;
    drop(core);

    // Start-up reconcile (the app runs it at every start).
    let core = shop(&env, &server).await;
    assert_eq!(core.billing().pending().await.unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let report = core.billing().reconcile().await.unwrap();
    assert_eq!(report.fulfilled.len(), 1);
    assert_eq!(remaining(&core).await, 5100);
    assert!(core.billing().pending().await.unwrap().is_empty());
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_links_grant_nothing() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(0).await;
    let core = shop(&env, &server).await;
    give_up_polling_soon(&core);
    let rows = ledger_rows(&core).await.len();
    let huge = format!("banter://purchase/complete?ref={}", "a".repeat(100_000));
    for forged in [
        "banter://purchase/complete?credits=5000",
        "banter://purchase/complete?product=credits_5000&amount=5000",
        "banter://purchase/grant?credits=500",
        "banter://admin/complete",
        "https://evil.example/purchase/complete",
        "banter://purchase/%63omplete",
        "banter://purchase/complete#credits=500",
        huge.as_str(),
    ] {
        let err = core.billing().handle_deep_link(forged).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadDeepLink, "{forged}");
    }
    // A well-formed link with no payment behind it finds nothing to grant.
    let report = core
        .billing()
        .handle_deep_link("banter://purchase/complete?ref=ck_made_up")
        .await
        .unwrap();
    assert!(report.fulfilled.is_empty());
    // A checkout opened but never paid: polling gives up and keeps it pending.
    core.billing().checkout(Product::Credits500).await.unwrap();
    let report = core
        .billing()
        .handle_deep_link("banter://purchase/complete")
        .await
        .unwrap();
    assert!(report.fulfilled.is_empty());
    assert_eq!(report.pending.len(), 1);
    assert_eq!(ledger_rows(&core).await.len(), rows);
    assert_eq!(remaining(&core).await, 100);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autumn_down_is_a_clear_error_and_the_purchase_waits() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let (server, core, link) = paid_500_pack(&env).await;
    server.set_outage(true);
    let err = core.billing().handle_deep_link(&link).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BillingUnavailable);
    assert!(err.to_string().contains("kept"), "{err}");
    assert_eq!(core.billing().pending().await.unwrap().len(), 1);
    assert_eq!(remaining(&core).await, 100);

    server.set_outage(false);
    let report = core.billing().reconcile().await.unwrap();
    assert_eq!(report.fulfilled.len(), 1);
    assert_eq!(remaining(&core).await, 600);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pro_makes_actions_free_and_recorded_until_it_lapses() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(0).await;
    let core = shop(&env, &server).await;
    core.billing().reconcile().await.unwrap(); // creates the customer
    server.set_pro(core.user_id(), true);
    let report = core.billing().reconcile().await.unwrap();
    assert!(report.pro_until.is_some());
    assert!(core.balance().await.unwrap().pro);

    let free = banter_tests::spend(&core, Action::ChatMessage, "pro-1")
        .await
        .unwrap();
    assert_eq!(free.entry.amount, 0);
    assert_eq!(free.entry.nominal_cost, Some(3));
    assert_eq!(remaining(&core).await, 100);

    server.set_pro(core.user_id(), false);
    let report = core.billing().reconcile().await.unwrap();
    assert_eq!(report.pro_until, None);
    let paid = banter_tests::spend(&core, Action::ChatMessage, "pro-2")
        .await
        .unwrap();
    assert_eq!(paid.entry.amount, -3);
    assert_eq!(remaining(&core).await, 97);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_or_with_a_wrong_one_purchases_say_why() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(0).await;
    let core = env.open().await;
    let err = core.billing().checkout(Product::Pro).await.unwrap_err();
    assert!(
        std::env::var_os("AUTUMN_SECRET_KEY").is_some()
            || err.code() == ErrorCode::BillingNotConfigured,
        "{err}"
    );
    core.billing()
        .connect(&server.base_url(), Secret::new("am_sk_test_wrong"))
        .unwrap();
    let err = core.billing().checkout(Product::Pro).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BillingUnauthorized);
    assert!(core.billing().pending().await.unwrap().is_empty());
}

/// Grants made so far, as (invoice id, credits), oldest first.
async fn purchases_of(core: &Core) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = rows_of_kind(core, EntryKind::Purchase)
        .await
        .into_iter()
        .map(|e| (e.reference.unwrap_or_default(), e.purchased_delta))
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_invoice_without_an_id_is_skipped_and_the_good_one_is_granted_with_pro() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(0).await;
    let core = shop(&env, &server).await;
    core.billing().reconcile().await.unwrap(); // creates the customer
                                               // The odd invoice comes first: it must not stop the ones after it.
    server.add_invoice(core.user_id(), paid_invoice(json!(null), &["credits_5000"]));
    let checkout = core.billing().checkout(Product::Credits500).await.unwrap();
    let link = pay(checkout.url.as_deref().unwrap()).await;
    server.set_pro(core.user_id(), true);

    let report = core.billing().handle_deep_link(&link).await.unwrap();
    assert_eq!(report.fulfilled.len(), 1, "{report:?}");
    assert_eq!(report.fulfilled[0].product, Product::Credits500);
    assert!(report.pending.is_empty());
    assert!(report.pro_until.is_some(), "Pro refreshed");
    let balance = core.balance().await.unwrap();
    assert!(balance.pro);
    assert_eq!(balance.remaining, 600);
    assert_eq!(
        purchases_of(&core).await,
        [(report.fulfilled[0].invoice_id.clone(), 500)]
    );
    // Asking again changes nothing.
    assert!(core
        .billing()
        .reconcile()
        .await
        .unwrap()
        .fulfilled
        .is_empty());
    assert_eq!(remaining(&core).await, 600);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_odd_invoice_is_skipped_while_a_good_one_is_granted() {
    let mut zero = paid_invoice(json!("in_zero"), &["credits_1000"]);
    zero["quantity"] = json!(0);
    let mut fraction = paid_invoice(json!("in_half"), &["credits_1000"]);
    fraction["quantity"] = json!(0.5);
    let mut negative = paid_invoice(json!("in_negative"), &["credits_1000"]);
    negative["quantity"] = json!(-2);
    let mut many = paid_invoice(json!("in_many"), &["credits_1000"]);
    many["quantity"] = json!(1_000_000);
    let table = [
        ("null id", paid_invoice(json!(null), &["credits_1000"])),
        ("empty id", paid_invoice(json!(""), &["credits_1000"])),
        ("blank id", paid_invoice(json!("   "), &["credits_1000"])),
        ("numeric id", paid_invoice(json!(42), &["credits_1000"])),
        (
            "id with odd characters",
            paid_invoice(json!("in_1:credits_5000"), &["credits_1000"]),
        ),
        ("zero quantity", zero),
        ("fractional quantity", fraction),
        ("negative quantity", negative),
        ("huge quantity", many),
        (
            "unknown product",
            paid_invoice(json!("in_unknown"), &["credits_999999"]),
        ),
        ("no products", paid_invoice(json!("in_empty"), &[])),
        ("not an object", json!("in_text_only")),
        ("null entry", json!(null)),
        (
            "product ids not a list",
            json!({"stripe_id": "in_weird", "status": "paid", "product_ids": "credits_1000"}),
        ),
    ];
    for (case, odd) in table {
        let env = Env::new("2026-03-10T09:00:00Z");
        let server = autumn(0).await;
        let core = shop(&env, &server).await;
        core.billing().reconcile().await.unwrap();
        server.add_invoice(core.user_id(), odd);
        server.add_invoice(
            core.user_id(),
            paid_invoice(json!("in_good"), &["credits_500"]),
        );
        let report = core
            .billing()
            .reconcile()
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let granted: Vec<_> = report
            .fulfilled
            .iter()
            .map(|f| (f.invoice_id.as_str(), f.credits))
            .collect();
        assert_eq!(granted, [("in_good", 500)], "{case}");
        assert_eq!(remaining(&core).await, 600, "{case}");
        assert_eq!(
            purchases_of(&core).await,
            [("in_good".into(), 500)],
            "{case}"
        );
        verify(&core).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_about_another_customer_is_refused_and_grants_nothing() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let (server, core, link) = paid_500_pack(&env).await;
    server.set_pro(core.user_id(), true);
    let rows = ledger_rows(&core).await.len();

    for other in ["someone-else", ""] {
        server.answer_as(Some(other));
        let err = core.billing().reconcile().await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BillingCustomerMismatch, "{other:?}");
        let err = core.billing().handle_deep_link(&link).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BillingCustomerMismatch, "{other:?}");
    }
    assert_eq!(ledger_rows(&core).await.len(), rows, "nothing granted");
    let balance = core.balance().await.unwrap();
    assert_eq!(balance.remaining, 100);
    assert!(
        !balance.pro,
        "Pro is not taken from another customer's answer"
    );
    assert_eq!(core.billing().pending().await.unwrap().len(), 1);

    // Our own answer again: the purchase was only waiting.
    server.answer_as(None);
    let report = core.billing().reconcile().await.unwrap();
    assert_eq!(report.fulfilled.len(), 1);
    assert_eq!(remaining(&core).await, 600);
    assert!(core.balance().await.unwrap().pro);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_far_future_pro_period_end_is_clamped_without_a_panic() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let server = autumn(0).await;
    let core = shop(&env, &server).await;
    core.billing().reconcile().await.unwrap();
    server.set_pro(core.user_id(), true);
    let now = banter_tests::at("2026-03-10T09:00:00Z");
    let latest = now + PRO_MAX_PERIOD + PRO_OFFLINE_GRACE;
    for far in [
        // The last millisecond a date can hold: adding the grace overflowed.
        json!(DateTime::<Utc>::MAX_UTC.timestamp_millis()),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
    ] {
        server.set_pro_period_end(core.user_id(), far.clone());
        let report = core
            .billing()
            .reconcile()
            .await
            .unwrap_or_else(|e| panic!("{far}: {e}"));
        assert_eq!(report.pro_until, Some(latest), "{far}");
        assert!(core.balance().await.unwrap().pro, "{far}");
    }
    // An ordinary period end is taken as sent.
    let end = now + chrono::Duration::days(30);
    server.set_pro_period_end(core.user_id(), json!(end.timestamp_millis()));
    let report = core.billing().reconcile().await.unwrap();
    assert_eq!(report.pro_until, Some(end + PRO_OFFLINE_GRACE));
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_check_busy_flag_is_cleared_however_a_check_ends() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let (server, core, link) = paid_500_pack(&env).await;
    let billing = core.billing().clone();

    // One check at a time.
    let check = billing.begin_link_check().expect("the first check");
    assert!(billing.link_check_running());
    assert!(billing.begin_link_check().is_none(), "a second is refused");
    // A reconcile that fails (Autumn answers about someone else).
    server.answer_as(Some("someone-else"));
    let err = check.run(&link).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BillingCustomerMismatch);
    assert!(
        !billing.link_check_running(),
        "cleared after a failed check"
    );

    // A refused link (an early return).
    let check = billing.begin_link_check().expect("free again");
    let err = check.run("banter://purchase/grant").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadDeepLink);
    assert!(!billing.link_check_running());

    // A check cancelled while it polls an Autumn that is down.
    server.answer_as(None);
    server.set_outage(true);
    billing.set_poll_policy(PollPolicy {
        every: Duration::from_millis(20),
        for_at_most: Duration::from_secs(60),
    });
    let check = billing.begin_link_check().expect("free again");
    let polling = {
        let link = link.clone();
        tokio::spawn(async move { check.run(&link).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(billing.link_check_running(), "still polling");
    polling.abort();
    assert!(polling.await.unwrap_err().is_cancelled());
    assert!(!billing.link_check_running(), "cleared when cancelled");

    // And the next link does its job.
    server.set_outage(false);
    let check = billing.begin_link_check().expect("free again");
    let report = check.run(&link).await.unwrap();
    assert_eq!(report.fulfilled.len(), 1);
    assert!(!billing.link_check_running());
    assert_eq!(remaining(&core).await, 600);
    verify(&core).await;
}
