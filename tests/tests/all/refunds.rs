//! Refunds give back what a spend took, to the buckets it came from: free,
//! purchased, or split across both; once only (a second refund replays);
//! never for a non-spend; and free credits taken before the latest monthly
//! reset are not restored (they would roll over), whatever the clock says.
//! `verify()` holds throughout.

use banter_core::ledger::{Action, EntryKind, LedgerError};
use banter_core::Error;
use banter_core::ErrorCode;
use banter_tests::{assert_ledger, at, ledger_rows, purchase, spend, spend_n, Env};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spend_from_free_credits_is_refunded_to_the_free_bucket_once() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    purchase(&core, 500, "inv_1").await;
    let paid = spend(&core, Action::ChatMessage, "m1").await.unwrap().entry;
    assert_eq!((paid.free_delta, paid.purchased_delta), (-3, 0));

    env.set_time("2026-03-10T09:00:05Z");
    let refund = core.ledger().refund(paid.id).await.unwrap();
    assert!(!refund.replayed);
    let r = &refund.entry;
    assert_eq!(r.kind, EntryKind::Refund);
    assert_eq!(r.refund_of, Some(paid.id));
    assert_eq!(r.action, Some(Action::ChatMessage));
    assert_eq!((r.amount, r.free_delta, r.purchased_delta), (3, 3, 0));
    assert_eq!(r.balance_after, 600);
    assert_eq!(r.created_at, at("2026-03-10T09:00:05Z"));
    let b = core.balance().await.unwrap();
    assert_eq!((b.free_remaining, b.purchased_remaining), (100, 500));
    assert_ledger(&core, 4, 600).await;

    // Refunding again replays the first refund and changes nothing.
    let again = core.ledger().refund(paid.id).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.entry, refund.entry);
    assert_ledger(&core, 4, 600).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spend_from_purchased_credits_is_refunded_to_the_purchased_bucket() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    purchase(&core, 500, "inv_1").await;
    // 6 generations (90) and 2 scrapes (10) use up exactly the free 100.
    spend_n(&core, Action::ProjectGeneration, 6, "gen").await;
    spend_n(&core, Action::UrlScrape, 2, "scrape").await;
    assert_eq!(core.balance().await.unwrap().free_remaining, 0);

    let paid = spend(&core, Action::ChatMessage, "m1").await.unwrap().entry;
    assert_eq!((paid.free_delta, paid.purchased_delta), (0, -3));
    assert_eq!(core.balance().await.unwrap().purchased_remaining, 497);

    let r = core.ledger().refund(paid.id).await.unwrap().entry;
    assert_eq!((r.amount, r.free_delta, r.purchased_delta), (3, 0, 3));
    let b = core.balance().await.unwrap();
    assert_eq!((b.free_remaining, b.purchased_remaining), (0, 500));
    assert_ledger(&core, 1 + 1 + 8 + 1 + 1, 500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spend_that_straddled_both_buckets_is_refunded_to_both() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    spend_n(&core, Action::ChatMessage, 33, "m").await; // free 1
    purchase(&core, 500, "inv_1").await;

    let paid = spend(&core, Action::ChatMessage, "straddle")
        .await
        .unwrap()
        .entry;
    assert_eq!(
        (paid.amount, paid.free_delta, paid.purchased_delta),
        (-3, -1, -2)
    );
    let b = core.balance().await.unwrap();
    assert_eq!((b.free_remaining, b.purchased_remaining), (0, 498));

    let r = core.ledger().refund(paid.id).await.unwrap().entry;
    assert_eq!((r.amount, r.free_delta, r.purchased_delta), (3, 1, 2));
    assert_eq!(r.balance_after, 501);
    let b = core.balance().await.unwrap();
    assert_eq!((b.free_remaining, b.purchased_remaining), (1, 500));
    assert_ledger(&core, 1 + 33 + 1 + 1 + 1, 501).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_spends_can_be_refunded() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let bought = purchase(&core, 500, "inv_1").await.entry;
    let paid = spend(&core, Action::UrlScrape, "s").await.unwrap().entry;
    let refund = core.ledger().refund(paid.id).await.unwrap().entry;
    let signup = ledger_rows(&core).await[0].clone();
    assert_eq!(signup.kind, EntryKind::SignupGrant);

    for id in [signup.id, bought.id, refund.id] {
        let err = core.ledger().refund(id).await.unwrap_err();
        match &err {
            Error::Ledger(LedgerError::NotRefundable { id: got, reason }) => {
                assert_eq!(*got, id);
                assert_eq!(*reason, "only spends can be refunded");
            }
            other => panic!("entry {id}: expected not_refundable, got {other:?}"),
        }
        assert_eq!(err.code(), ErrorCode::NotRefundable);
    }
    let err = core.ledger().refund(999_999).await.unwrap_err();
    match &err {
        Error::NotFound { kind, id } => {
            assert_eq!(*kind, "ledger entry");
            assert_eq!(id, "999999");
        }
        other => panic!("expected not_found, got {other:?}"),
    }
    assert_ledger(&core, 4, 600).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_in_a_later_month_does_not_restore_last_months_free_credits() {
    let env = Env::new("2026-01-20T10:00:00Z");
    let core = env.open().await;
    let free_only = spend(&core, Action::ChatMessage, "free-only")
        .await
        .unwrap()
        .entry;
    spend_n(&core, Action::ChatMessage, 32, "jan").await; // free 1
    purchase(&core, 500, "inv_1").await;
    let straddle = spend(&core, Action::ChatMessage, "jan-straddle")
        .await
        .unwrap()
        .entry;
    assert_eq!((straddle.free_delta, straddle.purchased_delta), (-1, -2));

    env.set_time("2026-02-03T08:00:00Z");
    // The refund is the month's first action: it applies the reset first.
    let r1 = core.ledger().refund(free_only.id).await.unwrap().entry;
    assert_eq!((r1.amount, r1.free_delta, r1.purchased_delta), (0, 0, 0));
    assert_eq!(r1.balance_after, 598);
    let r2 = core.ledger().refund(straddle.id).await.unwrap().entry;
    assert_eq!((r2.amount, r2.free_delta, r2.purchased_delta), (2, 0, 2));

    let b = core.balance().await.unwrap();
    assert_eq!((b.free_remaining, b.purchased_remaining), (100, 500));
    assert_eq!(
        ledger_rows(&core)
            .await
            .iter()
            .filter(|e| e.kind == EntryKind::MonthlyReset)
            .count(),
        1
    );
    assert_ledger(&core, 1 + 33 + 1 + 1 + 1 + 2, 600).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_race_from_two_pools_and_apply_once() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let a = env.open().await;
    let b = env.open().await;
    let paid = spend(&a, Action::ProjectGeneration, "gen")
        .await
        .unwrap()
        .entry;
    let handles: Vec<_> = (0..12)
        .map(|i| {
            let core = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { core.ledger().refund(paid.id).await })
        })
        .collect();
    let mut fresh = 0;
    for h in handles {
        if !h.await.unwrap().unwrap().replayed {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1);
    assert_ledger(&a, 3, 100).await;
}

/// Regression: refunds once compared the spend's calendar month with the
/// month of "now". With a clock moved back after a reset, a January spend
/// refunded "in January" restored its free credits on top of February's
/// fresh 100 (free reached 103: a rollover). The rule is now "no reset row
/// since the spend", so free stays at 100.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backwards_clock_refund_does_not_roll_free_credits_over() {
    let env = Env::new("2026-01-31T23:00:00Z");
    let core = env.open().await;
    let paid = spend(&core, Action::ChatMessage, "late-jan")
        .await
        .unwrap()
        .entry;
    env.set_time("2026-02-01T00:00:00Z");
    assert_eq!(core.balance().await.unwrap().free_remaining, 100);

    env.set_time("2026-01-31T23:30:00Z");
    core.ledger().refund(paid.id).await.unwrap();
    let b = core.balance().await.unwrap();
    assert_eq!(
        b.free_remaining, 100,
        "free bucket exceeds the monthly allowance after a refund"
    );
    assert_ledger(&core, 4, 100).await;
}

/// Regression, the mirror of the above: a spend made after February's reset
/// while the clock read January took February's free credits, so its refund
/// in February gives them back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spend_after_the_reset_under_a_backwards_clock_gets_its_free_refund() {
    let env = Env::new("2026-01-15T12:00:00Z");
    let core = env.open().await;
    env.set_time("2026-02-01T00:00:00Z");
    assert_eq!(core.balance().await.unwrap().free_remaining, 100);
    env.set_time("2026-01-31T23:59:00Z");
    let paid = spend(&core, Action::ChatMessage, "skewed")
        .await
        .unwrap()
        .entry;
    env.set_time("2026-02-02T09:00:00Z");
    let r = core.ledger().refund(paid.id).await.unwrap().entry;
    assert_eq!(r.free_delta, 3, "the February bucket's credits come back");
    assert_eq!(core.balance().await.unwrap().free_remaining, 100);
    assert_ledger(&core, 4, 100).await;
}
