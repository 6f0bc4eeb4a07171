//! A chat's settings in hosted mode: set on one device through the server
//! (`PUT /v1/sessions/{id}/settings`), used by the server for the next
//! paid send (checked on the wire at the mock Azure o-series deployment the
//! server's model points at), and carried by the change feed to another
//! device's copy, which can change them back.

use banter_core::chat::{SessionSettings, DEVELOPER_PROMPT};
use banter_core::ids::RecordRef;
use banter_core::providers::{ReasoningEffort, Secret};
use banter_core::ErrorCode;
use banter_tests::hosted::{history, oidc_signing_in_alice, send_in, sign_in_core, Hosted, Parts};
use banter_tests::Env;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_chats_settings_are_used_by_the_server_and_reach_another_device() {
    let oidc = oidc_signing_in_alice().await;
    let azure = banter_mocks::azure::start(banter_mocks::azure::MockConfig::default())
        .await
        .expect("mock Azure");
    let config = banter_tests::mock_azure_config(&azure.base_url(), "o3-mini", true);
    let model = banter_core::providers::build(&config, Some(Secret::new("test-key")))
        .expect("the mock model");
    let parts = Parts {
        model: Some(model),
        ..Parts::default()
    };
    let h = Hosted::signing_in_through_with(&oidc, parts).await;

    let laptop_env = Env::new("2026-03-10T12:00:00Z");
    let laptop = laptop_env.open().await;
    sign_in_core(&laptop, &h.a.url).await;
    let desktop_env = Env::new("2026-03-10T12:00:00Z");
    let desktop = desktop_env.open().await;
    sign_in_core(&desktop, &h.b.url).await;
    let (on_laptop, on_desktop) = (history(&laptop).await, history(&desktop).await);

    let session = on_laptop.create_session(None).await.expect("a session");
    assert_eq!(session.settings(), SessionSettings::default());
    let pirate = SessionSettings {
        system_prompt: Some("  You are a pirate.  ".into()),
        reasoning_effort: Some(ReasoningEffort::High),
        model: None,
    };
    let set = on_laptop
        .set_settings(&RecordRef::Id(session.id), pirate)
        .await
        .expect("settings saved");
    let stored = SessionSettings {
        system_prompt: Some("You are a pirate.".into()),
        reasoning_effort: Some(ReasoningEffort::High),
        model: None,
    };
    assert_eq!(set.settings(), stored);

    // The settings alone reach the desktop's copy (before any send moves
    // the session again).
    let pulled = on_desktop.pull().await.expect("pulled");
    assert!(pulled.sessions.contains(&session.id), "{pulled:?}");
    let early = on_desktop
        .copy()
        .expect("the desktop's copy")
        .chat()
        .get_session(&RecordRef::Id(session.id))
        .await
        .expect("the copy has the session");
    assert_eq!(early.settings(), stored);

    // The server sends them with the laptop's message.
    let sent = on_laptop
        .send(send_in(session.id, "hello"), |_| {})
        .await
        .expect("sent");
    assert_eq!(sent.reply.content, "Mock reply to: hello");
    let wire = azure.requests().last().cloned().expect("a request");
    assert_eq!(wire.path, "/openai/deployments/o3-mini/chat/completions");
    assert_eq!(
        wire.body["messages"][0],
        json!({"role": "developer", "content": "Formatting re-enabled. You are a pirate."})
    );
    assert_eq!(wire.body["reasoning_effort"], json!("high"));

    // The desktop's copy learns them from the change feed.
    let pulled = on_desktop.pull().await.expect("pulled");
    assert!(pulled.sessions.contains(&session.id), "{pulled:?}");
    let copy = on_desktop.copy().expect("the desktop's copy");
    let held = copy
        .chat()
        .get_session(&RecordRef::Id(session.id))
        .await
        .expect("the copy has the session");
    assert_eq!(held.settings(), stored);
    // And the reply, with the model and effort that wrote it.
    let messages = copy
        .chat()
        .list_messages(&RecordRef::Id(session.id), None, None)
        .await
        .expect("the copy's messages")
        .messages;
    let reply = messages.last().expect("the reply");
    assert_eq!(reply.id, sent.reply.id);
    assert_eq!(
        (reply.model.as_deref(), reply.reasoning_effort),
        (Some("o3-mini"), Some(ReasoningEffort::High))
    );

    // The desktop clears the prompt and lowers the effort; its next send
    // and the laptop's copy follow.
    let lowered = SessionSettings {
        system_prompt: None,
        reasoning_effort: Some(ReasoningEffort::Low),
        model: None,
    };
    on_desktop
        .set_settings(&RecordRef::Id(session.id), lowered.clone())
        .await
        .expect("changed");
    on_desktop
        .send(send_in(session.id, "again"), |_| {})
        .await
        .expect("sent again");
    let wire = azure.requests().last().cloned().expect("a request");
    assert_eq!(
        wire.body["messages"][0],
        json!({"role": "developer", "content": DEVELOPER_PROMPT})
    );
    assert_eq!(wire.body["reasoning_effort"], json!("low"));
    assert_eq!(wire.body["messages"].as_array().map(Vec::len), Some(4));
    on_laptop.pull().await.expect("pulled");
    let laptop_copy = on_laptop.copy().expect("the laptop's copy");
    let seen = laptop_copy
        .chat()
        .get_session(&RecordRef::Id(session.id))
        .await
        .expect("held");
    assert_eq!(seen.settings(), lowered);

    // Bad settings are the server's typed refusal, and change nothing.
    let error = on_laptop
        .client()
        .set_session_settings(
            &RecordRef::Id(session.id),
            &SessionSettings {
                system_prompt: Some("x".repeat(banter_core::chat::MAX_SYSTEM_PROMPT_CHARS + 1)),
                reasoning_effort: None,
                model: None,
            },
        )
        .await
        .expect_err("too long");
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    let unknown = on_laptop
        .client()
        .set_session_settings(&RecordRef::Id(session.id + 1000), &lowered)
        .await
        .expect_err("not the account's");
    assert_eq!(unknown.code(), ErrorCode::NotFound);
    let still = on_laptop
        .client()
        .session(&RecordRef::Id(session.id))
        .await
        .expect("read back");
    assert_eq!(still.settings(), lowered);
}
