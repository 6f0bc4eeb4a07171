//! The one send path every client uses (`ChatEngine::send_to`): a send with
//! no session starts one and leaves none behind when it fails before
//! anything is kept; a retried key goes back to its session; the caller's
//! listener gets each reply event once, and the bus copy says it has it;
//! the outcome carries the balance.

use banter_core::chat::{ReplyListener, SendRequest};
use banter_core::events::{DomainEvent, Published};
use banter_core::ledger::Action;
use banter_core::{Core, Error, ErrorCode};
use banter_mocks::{MockConfig, MockServer};
use banter_tests::{spend_down_to, use_mock_model, Env};
use std::sync::{Arc, Mutex};

async fn mock() -> MockServer {
    banter_mocks::start(MockConfig {
        slow_ms: 10,
        ..MockConfig::default()
    })
    .await
    .expect("start mock")
}

fn new_session(text: &str, key: Option<&str>) -> SendRequest {
    SendRequest {
        session: None,
        content: text.to_string(),
        include_context: false,
        idempotency_key: key.map(str::to_string),
        edit_of: None,
        attachments: Vec::new(),
    }
}

/// Every session of the profile as (message count, title).
async fn sessions(core: &Core) -> Vec<(i64, Option<String>)> {
    let page = core
        .chat()
        .list_sessions(None, None)
        .await
        .expect("sessions");
    page.sessions
        .into_iter()
        .map(|s| (s.message_count, s.title))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_refused_before_anything_is_kept_leaves_no_session() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock().await;

    // No model chosen yet.
    let err = core
        .chat_engine()
        .send(new_session("hello", None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderNotConfigured);
    assert_eq!(sessions(&core).await, vec![]);

    use_mock_model(&core, &mock.base_url(), "o3-mini");
    for text in [
        "",
        "   ",
        &"x".repeat(banter_core::validate::MAX_MESSAGE_CHARS + 1),
    ] {
        let err = core
            .chat_engine()
            .send(new_session(text, None))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{} chars", text.len());
    }
    assert_eq!(sessions(&core).await, vec![]);

    spend_down_to(&core, Action::ChatMessage.cost() - 1).await;
    let err = core
        .chat_engine()
        .send(new_session("hello", None))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Ledger(banter_core::ledger::LedgerError::InsufficientCredits { .. })
    ));
    assert_eq!(
        sessions(&core).await,
        vec![],
        "the session made for it is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whose_model_fails_keeps_its_session_with_the_refunded_message() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock().await;
    for (deployment, code) in [
        ("o3-mini-prompt-filter", ErrorCode::ContentFiltered),
        ("o3-mini-not-found", ErrorCode::DeploymentNotFound),
    ] {
        use_mock_model(&core, &mock.base_url(), deployment);
        let err = core
            .chat_engine()
            .send(new_session("hello", None))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
    }
    let kept = sessions(&core).await;
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        kept.iter().all(|(count, _)| *count == 2),
        "the message and its failed reply, never an empty session: {kept:?}"
    );
    assert_eq!(
        core.balance().await.unwrap().remaining,
        100,
        "both refunded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_send_succeeds_and_its_retry_replays_in_that_session() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock().await;
    use_mock_model(&core, &mock.base_url(), "o3-mini");
    let first = core
        .chat_engine()
        .send(new_session("plan my week", Some("k-1")))
        .await
        .unwrap();
    assert!(!first.replayed);
    assert_eq!(
        first.session.message_count, 2,
        "the outcome's session is current"
    );
    assert_eq!(first.session.title.as_deref(), Some("plan my week"));
    assert_eq!(first.balance, core.balance().await.unwrap());
    assert_eq!(first.balance.remaining, 100 - Action::ChatMessage.cost());

    let again = core
        .chat_engine()
        .send(new_session("plan my week", Some("k-1")))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.session.id, first.session.id);
    assert_eq!(again.reply.id, first.reply.id);
    assert_eq!(again.balance.remaining, first.balance.remaining);
    assert_eq!(sessions(&core).await.len(), 1, "no second session");

    let other = core
        .chat_engine()
        .send(new_session("something else", Some("k-1")))
        .await
        .unwrap_err();
    assert_eq!(other.code(), ErrorCode::IdempotencyConflict);
    assert_eq!(sessions(&core).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_reply_event_reaches_the_listener_once_and_the_bus_says_so() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock().await;
    use_mock_model(&core, &mock.base_url(), "o3-mini-slow");
    let mut bus = core.events().subscribe_published();
    let heard: Arc<Mutex<Vec<DomainEvent>>> = Arc::default();
    let listener = {
        let heard = heard.clone();
        ReplyListener::new("main", move |event| heard.lock().unwrap().push(event))
    };
    let out = core
        .chat_engine()
        .send_to(new_session("go slowly", None), listener)
        .await
        .unwrap();

    let heard = heard.lock().unwrap().clone();
    let deltas: Vec<&str> = heard
        .iter()
        .filter_map(|e| match e {
            DomainEvent::ReplyDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert!(deltas.len() > 1, "the slow reply comes in several batches");
    assert_eq!(
        deltas.concat(),
        out.reply.content,
        "each batch once, in order"
    );
    assert!(matches!(
        heard.first(),
        Some(DomainEvent::ReplyStarted { .. })
    ));
    assert!(matches!(
        heard.last(),
        Some(DomainEvent::ReplyFinished { .. })
    ));
    assert!(heard.iter().all(|e| e.session_id() == Some(out.session.id)));

    let mut published: Vec<Published> = Vec::new();
    while let Ok(p) = bus.try_recv() {
        published.push(p);
    }
    let reply_copies: Vec<&Published> = published
        .iter()
        .filter(|p| p.event.session_id().is_some())
        .collect();
    assert_eq!(
        reply_copies
            .iter()
            .map(|p| p.event.clone())
            .collect::<Vec<_>>(),
        heard,
        "the bus carries the same reply events"
    );
    assert!(
        reply_copies
            .iter()
            .all(|p| p.delivered_to.as_deref() == Some("main")),
        "each marked as already delivered to its listener"
    );
    assert!(
        published
            .iter()
            .filter(|p| p.event.session_id().is_none())
            .all(|p| p.delivered_to.is_none()),
        "credit events are for every window"
    );
}
