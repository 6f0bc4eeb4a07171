//! A chat's own settings (system prompt, reasoning effort) end to end: kept
//! on the session across restarts, sent on the wire to the mock Azure
//! deployment (`developer` for o-series, `system` for gpt-4o, the effort
//! only to a reasoning deployment, streamed or not), and a database from
//! before the settings migrates with every session on the defaults.

use banter_core::chat::{SessionSettings, DEVELOPER_PROMPT, MAX_SYSTEM_PROMPT_CHARS};
use banter_core::ids::RecordRef;
use banter_core::providers::ReasoningEffort;
use banter_core::{Core, ErrorCode};
use banter_mocks::{MockConfig, MockServer, RecordedRequest};
use banter_tests::{migrate_before, new_raw_db, send_text, use_mock_model, Env};
use serde_json::{json, Value};

async fn mock() -> MockServer {
    banter_mocks::start(MockConfig {
        slow_ms: 10,
        ..MockConfig::default()
    })
    .await
    .expect("start mock")
}

fn pirate(effort: Option<ReasoningEffort>) -> SessionSettings {
    SessionSettings {
        system_prompt: Some("You are a pirate. Answer in one line.".into()),
        reasoning_effort: effort,
        model: None,
    }
}

/// The last request the mock received.
fn last(mock: &MockServer) -> RecordedRequest {
    mock.requests().last().cloned().expect("a request")
}

fn first_message(request: &RecordedRequest) -> Value {
    request.body["messages"][0].clone()
}

async fn new_session(core: &Core, settings: SessionSettings) -> i64 {
    let session = core.chat().create_session(None).await.expect("a session");
    let set = core
        .chat()
        .set_session_settings(&RecordRef::Id(session.id), settings.clone())
        .await
        .expect("settings saved");
    assert_eq!(set.settings(), settings);
    session.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_remembers_its_prompt_and_effort_and_sends_them_to_an_o_series_deployment() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock().await;
    let id = {
        let core = env.open().await;
        use_mock_model(&core, &mock.base_url(), "o3-mini");
        let id = new_session(&core, pirate(Some(ReasoningEffort::High))).await;
        core.close().await;
        id
    };
    // A restart: the settings come back with the session.
    let core = env.open().await;
    use_mock_model(&core, &mock.base_url(), "o3-mini");
    let session = core.chat().get_session(&RecordRef::Id(id)).await.unwrap();
    assert_eq!(session.settings(), pirate(Some(ReasoningEffort::High)));

    let out = send_text(&core, id, "hello").await.unwrap();
    assert_eq!(out.reply.content, "Mock reply to: hello");
    assert_eq!(out.session.settings(), pirate(Some(ReasoningEffort::High)));
    // The reply records who answered it, and with which effort.
    assert_eq!(out.reply.model.as_deref(), Some("o3-mini"));
    assert_eq!(out.reply.reasoning_effort, Some(ReasoningEffort::High));
    assert_eq!(out.user_message.model, None);
    let page = core
        .chat()
        .list_messages(&RecordRef::Id(id), None, None)
        .await
        .unwrap();
    let stored = page.messages.last().unwrap();
    assert_eq!(
        (stored.model.as_deref(), stored.reasoning_effort),
        (Some("o3-mini"), Some(ReasoningEffort::High))
    );
    let sent = last(&mock);
    assert_eq!(
        sent.path, "/openai/deployments/o3-mini/chat/completions",
        "the deployment is in the path"
    );
    assert_eq!(
        first_message(&sent),
        json!({"role": "developer", "content": "Formatting re-enabled. You are a pirate. Answer in one line."})
    );
    assert_eq!(sent.body["reasoning_effort"], json!("high"));
    assert_eq!(sent.body["messages"].as_array().unwrap().len(), 2);

    // Another chat keeps the app's prompt and the deployment's effort.
    let plain = new_session(&core, SessionSettings::default()).await;
    let other = send_text(&core, plain, "plain").await.unwrap();
    assert_eq!(other.session.settings(), SessionSettings::default());
    let sent = last(&mock);
    assert_eq!(
        first_message(&sent),
        json!({"role": "developer", "content": DEVELOPER_PROMPT})
    );
    assert!(sent.body.get("reasoning_effort").is_none(), "{}", sent.body);
    assert_eq!(other.reply.model.as_deref(), Some("o3-mini"));
    assert_eq!(other.reply.reasoning_effort, None);

    // Changed settings reach the next send in the first chat; the history
    // goes with it.
    core.chat()
        .set_session_settings(
            &RecordRef::Id(id),
            SessionSettings {
                system_prompt: None,
                reasoning_effort: Some(ReasoningEffort::Low),
                model: None,
            },
        )
        .await
        .unwrap();
    send_text(&core, id, "again").await.unwrap();
    let sent = last(&mock);
    assert_eq!(
        first_message(&sent),
        json!({"role": "developer", "content": DEVELOPER_PROMPT})
    );
    assert_eq!(sent.body["reasoning_effort"], json!("low"));
    assert_eq!(sent.body["messages"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gpt_deployment_gets_the_prompt_as_system_and_no_effort() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock().await;
    let core = env.open().await;
    use_mock_model(&core, &mock.base_url(), "gpt-4o");
    let id = new_session(&core, pirate(Some(ReasoningEffort::High))).await;
    let out = send_text(&core, id, "hello").await.unwrap();
    assert_eq!(out.reply.content, "Mock reply to: hello");
    let sent = last(&mock);
    assert_eq!(sent.path, "/openai/deployments/gpt-4o/chat/completions");
    assert_eq!(out.reply.model.as_deref(), Some("gpt-4o"));
    assert_eq!(
        out.reply.reasoning_effort, None,
        "a gpt deployment is sent no effort"
    );
    assert_eq!(
        first_message(&sent),
        json!({"role": "system", "content": "Formatting re-enabled. You are a pirate. Answer in one line."})
    );
    assert!(sent.body.get("reasoning_effort").is_none(), "{}", sent.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_that_cannot_stream_is_asked_whole_with_the_effort() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock().await;
    let core = env.open().await;
    use_mock_model(&core, &mock.base_url(), "o1-nostream");
    let id = new_session(&core, pirate(Some(ReasoningEffort::Medium))).await;
    let out = send_text(&core, id, "think hard").await.unwrap();
    assert_eq!(out.reply.content, "Mock reply to: think hard");
    let sent = last(&mock);
    assert_eq!(sent.body["stream"], json!(false));
    assert_eq!(out.reply.reasoning_effort, Some(ReasoningEffort::Medium));
    assert_eq!(sent.body["reasoning_effort"], json!("medium"));
    assert_eq!(first_message(&sent)["role"], json!("developer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_and_change_nothing() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let id = new_session(&core, pirate(None)).await;
    let too_long = SessionSettings {
        system_prompt: Some("x".repeat(MAX_SYSTEM_PROMPT_CHARS + 1)),
        reasoning_effort: Some(ReasoningEffort::High),
        model: None,
    };
    let error = core
        .chat()
        .set_session_settings(&RecordRef::Id(id), too_long)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    let kept = core.chat().get_session(&RecordRef::Id(id)).await.unwrap();
    assert_eq!(kept.settings(), pirate(None));
    let missing = core
        .chat()
        .set_session_settings(&RecordRef::Id(id + 100), pirate(None))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_from_before_settings_migrate_to_the_defaults() {
    let env = Env::new("2026-03-10T09:00:00Z");
    {
        let mut conn = new_raw_db(&env.db_path()).await;
        // The schema before `migrations/0012_session_settings.sql`.
        migrate_before(&mut conn, 12).await;
        let now = "2026-03-10T08:00:00Z";
        sqlx::query("INSERT INTO users (id, display_name, created_at) VALUES ('u1', 'Old', ?1)")
            .bind(now)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO chat_sessions (id, user_id, display_id, title, created_at, updated_at)
             VALUES (1, 'u1', 'CH-000001', 'Old chat', ?1, ?1)",
        )
        .bind(now)
        .execute(&mut conn)
        .await
        .unwrap();
        use sqlx::Connection;
        conn.close().await.unwrap();
    }
    let core = env.open().await;
    assert!(core.db().migration().applied.contains(&12));
    let old = core.chat().get_session(&RecordRef::Id(1)).await.unwrap();
    assert_eq!(old.title.as_deref(), Some("Old chat"));
    assert_eq!(old.settings(), SessionSettings::default());
    let set = core
        .chat()
        .set_session_settings(&RecordRef::Id(1), pirate(Some(ReasoningEffort::Low)))
        .await
        .unwrap();
    assert_eq!(set.settings(), pirate(Some(ReasoningEffort::Low)));
    // The database refuses an effort the core does not know.
    let mut conn = banter_tests::raw_conn(&env.db_path()).await;
    let refused = sqlx::query("UPDATE chat_sessions SET reasoning_effort = 'extreme' WHERE id = 1")
        .execute(&mut conn)
        .await;
    assert!(refused.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personas_are_saved_by_name_and_a_chat_started_from_one_keeps_its_settings() {
    use banter_core::personas::NewPersona;
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock().await;
    let core = env.open().await;
    use_mock_model(&core, &mock.base_url(), "o3-mini");
    let saved = core
        .save_persona(NewPersona {
            name: " Pirate ".into(),
            prompt: "You are a pirate.".into(),
            reasoning_effort: Some(ReasoningEffort::High),
        })
        .await
        .unwrap();
    assert_eq!(saved.name, "Pirate");
    // The same name in another case replaces it.
    core.save_persona(NewPersona {
        name: "pirate".into(),
        prompt: "You are a pirate. Answer in one line.".into(),
        reasoning_effort: None,
    })
    .await
    .unwrap();
    core.save_persona(NewPersona {
        name: "Analyst".into(),
        prompt: "Be precise.".into(),
        reasoning_effort: Some(ReasoningEffort::Low),
    })
    .await
    .unwrap();
    let names: Vec<String> = core
        .personas()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Analyst", "pirate"]);

    let persona = core.persona("PIRATE").await.unwrap();
    let id = new_session(&core, persona.settings()).await;
    send_text(&core, id, "hello").await.unwrap();
    assert_eq!(
        first_message(&last(&mock)),
        json!({"role": "developer", "content": "Formatting re-enabled. You are a pirate. Answer in one line."})
    );
    core.delete_persona("Pirate").await.unwrap();
    let kept = core.chat().get_session(&RecordRef::Id(id)).await.unwrap();
    assert_eq!(kept.settings(), pirate(None));

    let gone = core.persona("pirate").await.unwrap_err();
    assert_eq!(gone.code(), ErrorCode::NotFound);
    let blank = core
        .save_persona(NewPersona {
            name: "Empty".into(),
            prompt: "   ".into(),
            reasoning_effort: None,
        })
        .await
        .unwrap_err();
    assert_eq!(blank.code(), ErrorCode::InvalidInput);
    assert_eq!(core.personas().await.unwrap().len(), 1);
}
