//! Balance signals: `CreditsChanged` after every committed change with the
//! right remaining/total, `CreditsLow` exactly once when the balance drops
//! from 20 or more to below 20, nothing on a refused spend, and the typed
//! `insufficient_credits { needed, available }` error with its API form.

use banter_core::events::DomainEvent;
use banter_core::events::Subscription;
use banter_core::ledger::{Action, Band, LedgerError};
use banter_core::Error;
use banter_core::ErrorCode;
use banter_tests::{assert_ledger, purchase, spend, spend_n, Env};
use tokio::sync::broadcast::error::TryRecvError;

/// Everything emitted so far. Events are sent before the call that caused
/// them returns, so no waiting is needed.
fn drain(rx: &mut Subscription) -> Vec<DomainEvent> {
    let mut events = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(e) => events.push(e),
            Err(TryRecvError::Empty) => return events,
            Err(other) => panic!("event channel: {other:?}"),
        }
    }
}

fn changed(remaining: i64, total: i64) -> DomainEvent {
    DomainEvent::CreditsChanged { remaining, total }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credits_low_fires_once_when_the_balance_drops_below_20() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mut rx = core.events().subscribe();

    // 100 → 20 in eight steps, none below 20.
    spend_n(&core, Action::ProjectGeneration, 4, "gen").await;
    spend_n(&core, Action::UrlScrape, 4, "scrape").await;
    let expected: Vec<DomainEvent> = [85, 70, 55, 40, 35, 30, 25, 20]
        .into_iter()
        .map(|r| changed(r, 100))
        .collect();
    assert_eq!(drain(&mut rx), expected);
    let b = core.balance().await.unwrap();
    assert_eq!((b.remaining, b.band, b.low), (20, Band::Yellow, false));

    // 20 → 17 crosses the line.
    spend(&core, Action::ChatMessage, "c1").await.unwrap();
    assert_eq!(
        drain(&mut rx),
        vec![changed(17, 100), DomainEvent::CreditsLow { remaining: 17 }]
    );
    let b = core.balance().await.unwrap();
    assert_eq!((b.remaining, b.band, b.low), (17, Band::Red, true));

    // 17 → 14 is already low: no second warning.
    spend(&core, Action::ChatMessage, "c2").await.unwrap();
    assert_eq!(drain(&mut rx), vec![changed(14, 100)]);

    // A replayed spend changes nothing and says nothing.
    spend(&core, Action::ChatMessage, "c2").await.unwrap();
    assert_eq!(drain(&mut rx), vec![]);

    // A refused spend emits nothing.
    let err = spend(&core, Action::ProjectGeneration, "too-big")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Ledger(LedgerError::InsufficientCredits {
            needed: 15,
            available: 14
        })
    ));
    assert_eq!(drain(&mut rx), vec![]);

    // A purchase back above 20 raises the total; no low warning.
    purchase(&core, 10, "inv_10").await;
    assert_eq!(drain(&mut rx), vec![changed(24, 110)]);

    // And dropping below 20 again warns again.
    spend(&core, Action::ProjectGeneration, "gen-low")
        .await
        .unwrap();
    assert_eq!(
        drain(&mut rx),
        vec![changed(9, 110), DomainEvent::CreditsLow { remaining: 9 }]
    );
    assert_ledger(&core, 1 + 8 + 2 + 1 + 1, 9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_and_resets_announce_the_new_balance() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    spend_n(&core, Action::ProjectGeneration, 5, "gen").await; // 25
    let mut rx = core.events().subscribe();
    let paid = spend(&core, Action::ProjectGeneration, "gen-5")
        .await
        .unwrap();
    assert_eq!(
        drain(&mut rx),
        vec![changed(10, 100), DomainEvent::CreditsLow { remaining: 10 }]
    );
    core.ledger().refund(paid.entry.id).await.unwrap();
    assert_eq!(drain(&mut rx), vec![changed(25, 100)]);
    core.ledger().refund(paid.entry.id).await.unwrap(); // replay
    assert_eq!(drain(&mut rx), vec![]);

    // The month's first balance read resets and announces it.
    env.set_time("2026-04-01T00:00:00Z");
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    assert_eq!(drain(&mut rx), vec![changed(100, 100)]);
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    assert_eq!(drain(&mut rx), vec![], "a plain read announces nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spend_that_applies_the_months_reset_announces_the_new_period() {
    let env = Env::new("2026-01-10T12:00:00Z");
    let core = env.open().await;
    purchase(&core, 50, "inv_50").await; // total 150
                                         // 40 messages: all 100 free credits, then 20 of the 50 purchased.
    spend_n(&core, Action::ChatMessage, 40, "jan").await;
    let mut rx = core.events().subscribe();

    // February's first action is a spend: reset (free 100, purchased 30,
    // total 130) and charge (127) in one transaction.
    env.set_time("2026-02-01T00:00:00Z");
    let paid = spend(&core, Action::ChatMessage, "feb")
        .await
        .unwrap()
        .entry;
    assert_eq!((paid.free_delta, paid.purchased_delta), (-3, 0));
    assert_eq!(paid.balance_after, 127);
    assert_eq!(drain(&mut rx), vec![changed(127, 130)]);
    let b = core.balance().await.unwrap();
    assert_eq!((b.remaining, b.total), (127, 130));
    assert_ledger(&core, 1 + 1 + 40 + 1 + 1, 127).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn insufficient_credits_carries_exact_numbers_to_the_api() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    spend_n(&core, Action::ProjectGeneration, 6, "gen").await; // 10 left

    let err = spend(&core, Action::ProjectGeneration, "gen-7")
        .await
        .unwrap_err();
    match &err {
        Error::Ledger(LedgerError::InsufficientCredits { needed, available }) => {
            assert_eq!((*needed, *available), (15, 10));
        }
        other => panic!("expected insufficient_credits, got {other:?}"),
    }
    assert_eq!(err.code(), ErrorCode::InsufficientCredits);
    assert!(err.is_user_error());
    let api = err.to_api();
    assert_eq!(api.code, ErrorCode::InsufficientCredits);
    assert_eq!(api.needed, Some(15));
    assert_eq!(api.available, Some(10));
    assert_eq!(api.field, None);
    assert_eq!(
        serde_json::to_value(&api).unwrap(),
        serde_json::json!({
            "code": ErrorCode::InsufficientCredits,
            "message": "not enough credits: this needs 15, you have 10",
            "needed": 15,
            "available": 10,
        })
    );

    // Smaller actions still fit; the failed one wrote nothing.
    assert_ledger(&core, 7, 10).await;
    spend(&core, Action::ChatMessage, "chat").await.unwrap(); // 7
    spend(&core, Action::UrlScrape, "scrape").await.unwrap(); // 2
    let err = spend(&core, Action::UrlScrape, "scrape-2")
        .await
        .unwrap_err();
    assert_eq!(err.to_api().needed, Some(5));
    assert_eq!(err.to_api().available, Some(2));
    let err = spend(&core, Action::ChatMessage, "chat-2")
        .await
        .unwrap_err();
    assert_eq!(
        (err.to_api().needed, err.to_api().available),
        (Some(3), Some(2))
    );
    assert_ledger(&core, 9, 2).await;
}
