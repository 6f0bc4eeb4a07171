//! Monthly resets, driven only by a `ManualClock`: the free bucket refills to
//! 100 on the first credit-touching action of a later UTC month — not a
//! second earlier, exactly once even when many actions (from two pools) race
//! at the boundary, never when the clock goes backwards — while purchased
//! credits survive untouched and unused free credits do not roll over.

use banter_core::ledger::{Action, EntryKind};
use banter_core::Core;
use banter_tests::{assert_ledger, at, purchase, rows_of_kind, spend, spend_n, Env};

async fn resets(core: &Core) -> usize {
    rows_of_kind(core, EntryKind::MonthlyReset).await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn free_bucket_refills_once_at_the_month_boundary_and_purchases_survive() {
    let env = Env::new("2026-01-10T12:00:00Z");
    let core = env.open().await;
    let user = core.user_id().to_string();

    // January: 20 messages leave 40 free credits; then 500 are bought.
    spend_n(&core, Action::ChatMessage, 20, "jan").await;
    let bought = core
        .ledger()
        .credit_purchase(&user, 500, "inv_1", Some("autumn:inv_1"))
        .await
        .unwrap();
    assert!(!bought.replayed);
    assert_eq!(bought.entry.balance_after, 540);
    let jan = core.balance().await.unwrap();
    assert_eq!(
        (
            jan.free_remaining,
            jan.purchased_remaining,
            jan.remaining,
            jan.total
        ),
        (40, 500, 540, 600)
    );
    assert_eq!(jan.last_reset, at("2026-01-10T12:00:00Z"));
    assert_eq!(jan.next_reset, at("2026-02-01T00:00:00Z"));
    assert_ledger(&core, 1 + 20 + 1, 540).await;

    // The last second of January is still January.
    env.set_time("2026-01-31T23:59:59Z");
    let last_second = core.balance().await.unwrap();
    assert_eq!(last_second.free_remaining, 40);
    assert_eq!(last_second.last_reset, at("2026-01-10T12:00:00Z"));
    assert_eq!(resets(&core).await, 0);

    // The first read in February refills the free bucket to exactly 100.
    env.set_time("2026-02-01T00:00:00Z");
    let feb = core.balance().await.unwrap();
    assert_eq!(
        feb.free_remaining, 100,
        "unused free credits do not roll over"
    );
    assert_eq!(feb.purchased_remaining, 500, "purchased credits survive");
    assert_eq!(feb.remaining, 600);
    assert_eq!(feb.total, 600, "total = 100 + purchased");
    assert_eq!(feb.last_reset, at("2026-02-01T00:00:00Z"));
    assert_eq!(feb.next_reset, at("2026-03-01T00:00:00Z"));
    let reset = rows_of_kind(&core, EntryKind::MonthlyReset).await;
    assert_eq!(reset.len(), 1);
    assert_eq!(reset[0].free_delta, 60);
    assert_eq!(reset[0].purchased_delta, 0);
    assert_eq!(reset[0].amount, 60);
    assert_eq!(reset[0].balance_after, 600);
    assert_eq!(reset[0].created_at, at("2026-02-01T00:00:00Z"));
    assert_eq!(
        reset[0].idempotency_key,
        format!("monthly_reset:{user}:2026-02")
    );
    assert_ledger(&core, 23, 600).await;

    // Later reads and spends in February do not reset again.
    env.set_time("2026-02-14T08:00:00Z");
    assert_eq!(core.balance().await.unwrap().free_remaining, 100);
    spend(&core, Action::ProjectGeneration, "feb-gen")
        .await
        .unwrap();
    let mid = core.balance().await.unwrap();
    assert_eq!((mid.free_remaining, mid.purchased_remaining), (85, 500));
    assert_eq!(resets(&core).await, 1);
    assert_ledger(&core, 24, 585).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn total_after_reset_counts_only_the_purchased_credits_left() {
    let env = Env::new("2026-04-03T10:00:00Z");
    let core = env.open().await;
    purchase(&core, 50, "inv_small").await;
    // 40 messages = 120 credits: all 100 free, then 20 of the 50 purchased.
    spend_n(&core, Action::ChatMessage, 40, "apr").await;
    let apr = core.balance().await.unwrap();
    assert_eq!(
        (apr.free_remaining, apr.purchased_remaining, apr.total),
        (0, 30, 150)
    );

    env.set_time("2026-05-01T00:00:00Z");
    let may = core.balance().await.unwrap();
    assert_eq!(
        (
            may.free_remaining,
            may.purchased_remaining,
            may.remaining,
            may.total
        ),
        (100, 30, 130, 130)
    );
    assert_ledger(&core, 1 + 1 + 40 + 1, 130).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_racing_first_actions_from_two_pools_reset_exactly_once() {
    let env = Env::new("2026-01-15T09:30:00Z");
    let a = env.open().await;
    let b = env.open().await;
    spend_n(&a, Action::ChatMessage, 10, "jan").await; // free 70
    env.set_time("2026-02-01T00:00:00Z");

    let mut reads = Vec::new();
    let mut spends = Vec::new();
    for i in 0..16 {
        let core = if i % 2 == 0 { a.clone() } else { b.clone() };
        if i % 4 < 2 {
            reads.push(tokio::spawn(async move { core.balance().await }));
        } else {
            spends.push(tokio::spawn(async move {
                spend(&core, Action::ChatMessage, &format!("boundary-{i}")).await
            }));
        }
    }
    for read in reads {
        let balance = read.await.unwrap().unwrap();
        assert_eq!(
            balance.last_reset,
            at("2026-02-01T00:00:00Z"),
            "every read at the boundary sees February's reset"
        );
        assert_eq!((100 - balance.free_remaining) % 3, 0, "{balance:?}");
        assert!(balance.free_remaining >= 76, "{balance:?}");
    }
    for s in spends {
        let receipt = s.await.unwrap().unwrap();
        assert!(!receipt.replayed);
    }

    assert_eq!(resets(&a).await, 1, "exactly one monthly_reset");
    let after = a.balance().await.unwrap();
    assert_eq!(after.free_remaining, 100 - 8 * 3);
    assert_eq!(b.balance().await.unwrap().free_remaining, 76);
    assert_eq!(resets(&b).await, 1);
    assert_ledger(&a, 1 + 10 + 1 + 8, 76).await;
    assert_ledger(&b, 20, 76).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clock_moved_backwards_never_resets_and_spending_still_works() {
    let env = Env::new("2026-01-10T12:00:00Z");
    let core = env.open().await;
    spend_n(&core, Action::ChatMessage, 5, "jan").await; // free 85
    env.set_time("2026-02-01T00:00:00Z");
    assert_eq!(core.balance().await.unwrap().free_remaining, 100);
    assert_eq!(resets(&core).await, 1);

    // Back to January after February's reset.
    env.set_time("2026-01-20T10:00:00Z");
    let back = core.balance().await.unwrap();
    assert_eq!(back.free_remaining, 100);
    assert_eq!(back.last_reset, at("2026-02-01T00:00:00Z"));
    let receipt = spend(&core, Action::UrlScrape, "backwards").await.unwrap();
    assert_eq!(receipt.entry.balance_after, 95);
    assert_eq!(receipt.entry.created_at, at("2026-01-20T10:00:00Z"));
    assert_eq!(resets(&core).await, 1);
    assert_ledger(&core, 1 + 5 + 1 + 1, 95).await;

    // Forward again within February: still no second reset.
    env.set_time("2026-02-20T10:00:00Z");
    assert_eq!(core.balance().await.unwrap().free_remaining, 95);
    assert_eq!(resets(&core).await, 1);

    // March resets once more.
    env.set_time("2026-03-01T00:00:00Z");
    let march = core.balance().await.unwrap();
    assert_eq!(march.free_remaining, 100);
    assert_eq!(march.next_reset, at("2026-04-01T00:00:00Z"));
    assert_eq!(resets(&core).await, 2);
    assert_ledger(&core, 9, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn december_to_january_wraps_the_year() {
    let env = Env::new("2026-12-05T18:00:00Z");
    let core = env.open().await;
    let dec = core.balance().await.unwrap();
    assert_eq!(dec.next_reset, at("2027-01-01T00:00:00Z"));
    spend_n(&core, Action::ProjectGeneration, 2, "dec").await; // free 70
    purchase(&core, 200, "inv_dec").await;

    env.set_time("2026-12-31T23:59:59Z");
    assert_eq!(core.balance().await.unwrap().free_remaining, 70);
    assert_eq!(resets(&core).await, 0);

    env.set_time("2027-01-01T00:00:00Z");
    let jan = core.balance().await.unwrap();
    assert_eq!(
        (jan.free_remaining, jan.purchased_remaining, jan.total),
        (100, 200, 300)
    );
    assert_eq!(jan.last_reset, at("2027-01-01T00:00:00Z"));
    assert_eq!(jan.next_reset, at("2027-02-01T00:00:00Z"));
    let reset = rows_of_kind(&core, EntryKind::MonthlyReset).await;
    assert_eq!(reset.len(), 1);
    assert_eq!(reset[0].free_delta, 30);
    assert_eq!(
        reset[0].idempotency_key,
        format!("monthly_reset:{}:2027-01", core.user_id())
    );
    assert_ledger(&core, 1 + 2 + 1 + 1, 300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_month_with_no_activity_resets_once_on_the_next_action() {
    // Skipping March entirely: the first action in April resets once (not twice).
    let env = Env::new("2026-02-10T12:00:00Z");
    let core = env.open().await;
    spend_n(&core, Action::ChatMessage, 3, "feb").await;
    env.set_time("2026-04-17T06:00:00Z");
    let receipt = spend(&core, Action::ChatMessage, "april").await.unwrap();
    assert_eq!(
        receipt.entry.balance_after, 97,
        "reset applied before the spend"
    );
    assert_eq!(resets(&core).await, 1);
    let apr = core.balance().await.unwrap();
    assert_eq!(apr.last_reset, at("2026-04-17T06:00:00Z"));
    assert_eq!(apr.next_reset, at("2026-05-01T00:00:00Z"));
    assert_ledger(&core, 1 + 3 + 1 + 1, 97).await;
}
