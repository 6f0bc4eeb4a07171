//! The Pro plan: while `pro_until` lies in the future, actions cost nothing
//! (even on an empty balance) but are still written to the ledger with amount
//! 0 and their nominal cost; from the instant `pro_until` passes, they cost
//! their price again.

use banter_core::ids::RecordRef;
use banter_core::ledger::{Action, LedgerError};
use banter_core::Error;
use banter_core::ErrorCode;
use banter_tests::{assert_ledger, at, spend, spend_n, Env};
use chrono::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pro_spends_cost_nothing_but_record_the_nominal_cost_until_expiry() {
    let env = Env::new("2026-03-01T00:00:00Z");
    let core = env.open().await;
    let user = core.user_id().to_string();
    let until = at("2026-03-01T00:00:00Z") + Duration::days(30);
    core.ledger()
        .set_pro_until(&user, Some(until))
        .await
        .unwrap();

    let b = core.balance().await.unwrap();
    assert!(b.pro);
    assert_eq!(b.pro_until, Some(at("2026-03-31T00:00:00Z")));

    let chat = spend(&core, Action::ChatMessage, "pro-chat")
        .await
        .unwrap()
        .entry;
    assert_eq!(chat.amount, 0);
    assert_eq!((chat.free_delta, chat.purchased_delta), (0, 0));
    assert_eq!(chat.nominal_cost, Some(3));
    assert_eq!(chat.balance_after, 100);
    let generation = spend(&core, Action::ProjectGeneration, "pro-gen")
        .await
        .unwrap()
        .entry;
    assert_eq!((generation.amount, generation.nominal_cost), (0, Some(15)));

    // One second before expiry: still Pro.
    env.set_time("2026-03-30T23:59:59Z");
    let late = spend(&core, Action::ChatMessage, "pro-late")
        .await
        .unwrap()
        .entry;
    assert_eq!((late.amount, late.nominal_cost), (0, Some(3)));
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    assert_ledger(&core, 4, 100).await;

    // At pro_until itself Pro has ended (Pro is active while now < pro_until).
    env.set_time("2026-03-31T00:00:00Z");
    let b = core.balance().await.unwrap();
    assert!(!b.pro);
    assert_eq!(b.pro_until, Some(until), "the expiry stays recorded");
    let paid = spend(&core, Action::ChatMessage, "after")
        .await
        .unwrap()
        .entry;
    assert_eq!(
        (paid.amount, paid.free_delta, paid.nominal_cost),
        (-3, -3, Some(3))
    );
    assert_eq!(paid.balance_after, 97);
    assert_ledger(&core, 5, 97).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pro_works_on_an_empty_balance_and_a_chat_message_records_zero_credits() {
    let env = Env::new("2026-03-05T10:00:00Z");
    let core = env.open().await;
    let user = core.user_id().to_string();
    spend_n(&core, Action::ChatMessage, 33, "drain").await; // 1 left
    let err = spend(&core, Action::ChatMessage, "denied")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Ledger(LedgerError::InsufficientCredits {
            needed: 3,
            available: 1
        })
    ));

    core.ledger()
        .set_pro_until(&user, Some(at("2026-04-05T10:00:00Z")))
        .await
        .unwrap();
    spend(&core, Action::ProjectGeneration, "pro-gen")
        .await
        .unwrap();
    let session = core.chat().create_session(None).await.unwrap();
    let (message, entry) = core
        .chat()
        .record_user_message(&RecordRef::Id(session.id), "free for Pro", "pro-msg")
        .await
        .unwrap();
    assert_eq!(message.credits_used, 0);
    assert_eq!((entry.amount, entry.nominal_cost), (0, Some(3)));
    assert_ledger(&core, 1 + 33 + 2, 1).await;

    // Clearing Pro makes actions paid again.
    core.ledger().set_pro_until(&user, None).await.unwrap();
    assert!(!core.balance().await.unwrap().pro);
    let err = spend(&core, Action::ChatMessage, "denied-again")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InsufficientCredits);
    assert_ledger(&core, 36, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setting_pro_for_an_unknown_user_is_not_found() {
    let env = Env::new("2026-03-05T10:00:00Z");
    let core = env.open().await;
    let err = core
        .ledger()
        .set_pro_until("no-such-user", Some(at("2026-04-05T10:00:00Z")))
        .await
        .unwrap_err();
    match err {
        Error::NotFound { kind, id } => {
            assert_eq!((kind, id.as_str()), ("profile", "no-such-user"))
        }
        other => panic!("expected not_found, got {other:?}"),
    }
}
