//! The credit rules on the server's Postgres, through the core's storage
//! seam: the same `Ledger` code as the desktop, on `PgStore`. Two stores on
//! one database stand for two server instances (each has its own pool, as
//! separate processes would); the rows lock in Postgres, not in a process.
//!
//! As in `ledger_race`: spends of one account are serialised (here by the
//! `FOR UPDATE` lock on its usage row), so the balance walks 100, 97, …, 1
//! and every loser sees exactly `available: 1`.

use banter_core::clock::{ManualClock, SharedClock};
use banter_core::db::postgres::PgStore;
use banter_core::events::EventBus;
use banter_core::ledger::{Action, EntryKind, Fingerprint, Ledger, LedgerError, SpendRequest};
use banter_core::Error;
use banter_tests::at;
use std::sync::Arc;

/// Connections per "instance": fewer than the racers, so they queue.
const POOL_SIZE: u32 = 10;

struct Instances {
    a: Ledger<PgStore>,
    b: Ledger<PgStore>,
    store: PgStore,
    clock: ManualClock,
}

/// A fresh database, migrated twice at once (two instances starting
/// together), and two ledgers on it.
async fn instances(start: &str) -> Instances {
    let url = banter_mocks::postgres::shared()
        .expect("test Postgres")
        .fresh_database()
        .expect("fresh database");
    let one = PgStore::connect_lazy(&url, POOL_SIZE).expect("store a");
    let two = PgStore::connect_lazy(&url, POOL_SIZE).expect("store b");
    let (first, second) = tokio::join!(one.migrate(), two.migrate());
    first.expect("migrate a");
    second.expect("migrate b");
    assert!(one.ready().await.expect("ready a") && two.ready().await.expect("ready b"));
    let clock = ManualClock::new(at(start));
    let shared: SharedClock = Arc::new(clock.clone());
    Instances {
        a: Ledger::new(one.clone(), shared.clone(), EventBus::default()),
        b: Ledger::new(two, shared, EventBus::default()),
        store: one,
        clock,
    }
}

/// Creates an account row and opens its ledger (the signup grant).
async fn account(i: &Instances, id: &str) {
    let mut tx = i.store.pool().begin().await.expect("begin");
    sqlx::query("INSERT INTO users (id, display_name, created_at) VALUES ($1, $1, now())")
        .bind(id)
        .execute(&mut *tx)
        .await
        .expect("insert user");
    i.a.open_account_in(&mut tx, id)
        .await
        .expect("open account");
    tx.commit().await.expect("commit");
}

fn chat(user: &str, key: &str) -> SpendRequest {
    SpendRequest {
        user_id: user.to_string(),
        action: Action::ChatMessage,
        idempotency_key: key.to_string(),
        reference: None,
        fingerprint: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_spends_on_two_instances_leave_exactly_one_credit() {
    let i = instances("2026-03-10T12:00:00Z").await;
    account(&i, "u1").await;
    let handles: Vec<_> = (0..40)
        .map(|n| {
            let ledger = if n % 2 == 0 { i.a.clone() } else { i.b.clone() };
            tokio::spawn(async move { ledger.spend(chat("u1", &format!("k{n}"))).await })
        })
        .collect();
    let (mut won, mut lost) = (0, 0);
    for handle in handles {
        match handle.await.unwrap() {
            Ok(receipt) => {
                assert!(!receipt.replayed);
                won += 1;
            }
            Err(Error::Ledger(LedgerError::InsufficientCredits {
                needed: 3,
                available: 1,
            })) => lost += 1,
            Err(other) => panic!("unexpected failure: {other:?}"),
        }
    }
    assert_eq!((won, lost), (33, 7));
    let balance = i.b.balance("u1").await.unwrap();
    assert_eq!((balance.remaining, balance.free_remaining), (1, 1));
    let report = i.a.verify("u1").await.unwrap();
    assert_eq!(
        (report.entries, report.balance, report.ledger_sum),
        (34, 1, 1)
    );
    let mut afters: Vec<i64> =
        i.a.history("u1", None, 100)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind == EntryKind::Spend)
            .map(|e| e.balance_after)
            .collect();
    afters.sort_unstable();
    assert_eq!(afters, (0..33).map(|n| 1 + 3 * n).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_key_is_charged_once_across_instances_and_bound_to_its_action() {
    let i = instances("2026-03-10T12:00:00Z").await;
    account(&i, "u1").await;
    let (one, two) = tokio::join!(i.a.spend(chat("u1", "same")), i.b.spend(chat("u1", "same")));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.entry.id, two.entry.id);
    assert_eq!(u8::from(one.replayed) + u8::from(two.replayed), 1);
    let mut other_action = chat("u1", "same");
    other_action.action = Action::UrlScrape;
    let err = i.b.spend(other_action).await.unwrap_err();
    assert!(
        matches!(err, Error::Ledger(LedgerError::IdempotencyConflict { .. })),
        "{err:?}"
    );
    assert_eq!(i.a.balance("u1").await.unwrap().remaining, 97);
    i.a.verify("u1").await.unwrap();
}

/// An idempotency key is the caller's, and so per account (as Stripe scopes
/// keys per account): another account that happens to pick the same key —
/// a CLI script's `--idempotency-key nightly-1` run by two people — is
/// neither refused nor answered with the first account's spend.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_in_two_accounts_is_two_spends() {
    let i = instances("2026-03-10T12:00:00Z").await;
    account(&i, "u1").await;
    account(&i, "u2").await;
    // The same request, so only the account tells the two apart.
    let scrape = |user: &str| SpendRequest {
        user_id: user.to_string(),
        action: Action::UrlScrape,
        idempotency_key: "nightly-1".to_string(),
        reference: None,
        fingerprint: Some(Fingerprint::url_scrape("https://example.com/", None)),
    };
    let first = i.a.spend(scrape("u1")).await.unwrap();
    let second = i.b.spend(scrape("u2")).await.unwrap();
    assert!(!first.replayed && !second.replayed);
    assert_ne!(first.entry.id, second.entry.id);
    assert_eq!(second.entry.user_id, "u2");
    // Each account's own retry still replays its own spend.
    let again = i.a.spend(scrape("u2")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.entry.id, second.entry.id);
    for user in ["u1", "u2"] {
        assert_eq!(i.a.balance(user).await.unwrap().remaining, 95);
        i.a.verify(user).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_month_resets_exactly_once_when_both_instances_race_at_the_boundary() {
    let i = instances("2026-01-20T12:00:00Z").await;
    account(&i, "u1").await;
    for n in 0..10 {
        i.a.spend(chat("u1", &format!("jan{n}"))).await.unwrap();
    }
    i.a.credit_purchase("u1", 50, "inv_1", None).await.unwrap();
    i.clock.set(at("2026-02-01T00:00:01Z"));
    let handles: Vec<_> = (0..20)
        .map(|n| {
            let ledger = if n % 2 == 0 { i.a.clone() } else { i.b.clone() };
            tokio::spawn(async move {
                if n % 3 == 0 {
                    ledger.balance("u1").await.map(|_| ())
                } else {
                    ledger
                        .spend(chat("u1", &format!("feb{n}")))
                        .await
                        .map(|_| ())
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    let resets =
        i.a.history("u1", None, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == EntryKind::MonthlyReset)
            .count();
    assert_eq!(resets, 1);
    // 13 February spends (n not divisible by 3) from a refilled free bucket;
    // the 50 purchased credits are untouched and January's 70 did not roll over.
    let balance = i.b.balance("u1").await.unwrap();
    assert_eq!(
        (balance.free_remaining, balance.purchased_remaining),
        (100 - 13 * 3, 50)
    );
    assert_eq!(balance.total, 150);
    i.a.verify("u1").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spend_racing_refunds_on_both_instances_is_refunded_once() {
    let i = instances("2026-03-10T12:00:00Z").await;
    account(&i, "u1").await;
    let spend = i.a.spend(chat("u1", "k")).await.unwrap().entry;
    let handles: Vec<_> = (0..10)
        .map(|n| {
            let ledger = if n % 2 == 0 { i.a.clone() } else { i.b.clone() };
            tokio::spawn(async move { ledger.refund(spend.id).await })
        })
        .collect();
    let mut refund_ids = Vec::new();
    let mut fresh = 0;
    for handle in handles {
        let receipt = handle.await.unwrap().unwrap();
        fresh += usize::from(!receipt.replayed);
        refund_ids.push(receipt.entry.id);
    }
    refund_ids.dedup();
    assert_eq!((fresh, refund_ids.len()), (1, 1));
    assert_eq!(i.b.balance("u1").await.unwrap().remaining, 100);
    let report = i.a.verify("u1").await.unwrap();
    assert_eq!((report.entries, report.balance), (3, 100));
}

#[tokio::test]
async fn the_database_itself_refuses_ledger_edits_and_overdrafts() {
    let i = instances("2026-03-10T12:00:00Z").await;
    account(&i, "u1").await;
    for sql in [
        "UPDATE credit_transactions SET amount = 1000",
        "DELETE FROM credit_transactions",
        "TRUNCATE credit_transactions CASCADE",
        // Buckets cannot go below zero, whoever writes.
        "UPDATE user_usage SET free_remaining = -1",
    ] {
        let err = sqlx::query(sql).execute(i.store.pool()).await.unwrap_err();
        assert!(matches!(err, sqlx::Error::Database(_)), "{sql}: {err:?}");
    }
    // A ledger row whose balance_after disagrees with the buckets aborts.
    let bad = sqlx::query(
        "INSERT INTO credit_transactions (user_id, kind, amount, free_delta, purchased_delta,
             balance_after, idempotency_key, created_at)
         VALUES ('u1', 'purchase', 10, 0, 10, 999, 'purchase:forged', now())",
    )
    .execute(i.store.pool())
    .await
    .unwrap_err();
    assert!(
        bad.to_string().contains("does not match the balance"),
        "{bad}"
    );
    let report = i.a.verify("u1").await.unwrap();
    assert_eq!((report.entries, report.balance), (1, 100));
}
