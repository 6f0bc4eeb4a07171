//! The chat engine end to end over real HTTP: `banter-mocks` serves the
//! Azure OpenAI wire format on 127.0.0.1 and each scenario (chosen by the
//! deployment name) checks the reply's text and status, the tokens, the
//! charge or refund, the events, and that the ledger still adds up.

use banter_core::chat::{MessageStatus, SendOutcome, SendRequest};
use banter_core::events::DomainEvent;
use banter_core::ids::RecordRef;
use banter_core::providers::{self, AzureConfig, ModelFamily, ProviderConfig, Secret};
use banter_core::ErrorCode;
use banter_core::{Core, Error};
use banter_mocks::{MockConfig, MockServer};
use banter_tests::{mock_azure_config, Env};
use std::sync::Arc;

struct Chat {
    _env: Env,
    core: Core,
    mock: MockServer,
}

/// A fresh profile talking to a mock Azure deployment named `deployment`.
async fn chat_with(deployment: &str, streams: bool, key: &str) -> Chat {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(MockConfig {
        slow_ms: 30,
        ..MockConfig::default()
    })
    .await
    .expect("start mock");
    let config = mock_azure_config(&mock.base_url(), deployment, streams);
    let provider = providers::build(&config, Some(Secret::new(key))).expect("build provider");
    core.chat_engine().set_provider(Some(provider));
    Chat {
        _env: env,
        core,
        mock,
    }
}

impl Chat {
    async fn send(&self, session: Option<i64>, text: &str) -> Result<SendOutcome, Error> {
        let session = match session {
            Some(id) => id,
            None => {
                self.core
                    .chat()
                    .create_session(None)
                    .await
                    .expect("new session")
                    .id
            }
        };
        self.core
            .chat_engine()
            .send(SendRequest {
                session: Some(RecordRef::Id(session)),
                content: text.to_string(),
                include_context: false,
                idempotency_key: None,
                edit_of: None,
                attachments: Vec::new(),
            })
            .await
    }

    async fn balance(&self) -> i64 {
        let b = self.core.balance().await.expect("balance");
        self.core
            .ledger()
            .verify(self.core.user_id())
            .await
            .expect("the ledger adds up");
        b.remaining
    }

    /// The reply row as stored, read back through the store.
    async fn stored_reply(&self, session_id: i64) -> banter_core::chat::ChatMessage {
        let page = self
            .core
            .chat()
            .list_messages(&RecordRef::Id(session_id), None, None)
            .await
            .expect("messages");
        page.messages.last().cloned().expect("a reply")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_reply_streams_is_saved_and_costs_three_credits() {
    let chat = chat_with("o3-mini", true, "test-key").await;
    let mut events = chat.core.events().subscribe();
    let out = chat.send(None, "hello").await.unwrap();
    assert_eq!(out.reply.content, "Mock reply to: hello");
    assert_eq!(out.reply.status, MessageStatus::Complete);
    assert!(out.reply.tokens.unwrap_or(0) > 0, "{:?}", out.reply);
    assert_eq!(chat.balance().await, 97);
    assert_eq!(
        chat.stored_reply(out.session.id).await.content,
        "Mock reply to: hello"
    );

    let mut deltas = String::new();
    let mut kinds = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            DomainEvent::ReplyStarted { .. } => kinds.push("started"),
            DomainEvent::ReplyDelta {
                delta, message_id, ..
            } => {
                assert_eq!(message_id, out.reply.id);
                deltas.push_str(&delta);
                if kinds.last() != Some(&"delta") {
                    kinds.push("delta");
                }
            }
            DomainEvent::ReplyUsage { .. } => kinds.push("usage"),
            DomainEvent::ReplyFinished { status, .. } => {
                assert_eq!(status, MessageStatus::Complete);
                kinds.push("finished");
            }
            _ => {}
        }
    }
    assert_eq!(deltas, "Mock reply to: hello");
    assert_eq!(kinds, ["started", "delta", "usage", "finished"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_request_is_retried_and_charged_once() {
    let chat = chat_with("o3-mini-rate-limited-once", true, "test-key").await;
    let out = chat.send(None, "retry me").await.unwrap();
    assert_eq!(out.reply.content, "Mock reply to: retry me");
    assert_eq!(chat.mock.requests().len(), 2, "one 429, one success");
    assert_eq!(chat.balance().await, 97);
}

/// Failures before any text: typed error, reply marked `error`, send refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_before_any_text_are_refunded() {
    for (deployment, key, code) in [
        ("o3-mini", "wrong-key", ErrorCode::Unauthorized),
        (
            "o3-mini-not-found",
            "test-key",
            ErrorCode::DeploymentNotFound,
        ),
        (
            "o3-mini-prompt-filter",
            "test-key",
            ErrorCode::ContentFiltered,
        ),
        ("o3-mini-rate-limited", "test-key", ErrorCode::RateLimited),
    ] {
        let chat = chat_with(deployment, true, key).await;
        let session = chat.core.chat().create_session(None).await.unwrap();
        let err = chat.send(Some(session.id), "hello").await.unwrap_err();
        assert_eq!(err.code(), code, "{deployment}: {err}");
        let reply = chat.stored_reply(session.id).await;
        assert_eq!(reply.status, MessageStatus::Error, "{deployment}");
        assert_eq!(reply.content, "");
        assert_eq!(chat.balance().await, 100, "{deployment} is refunded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_stop_after_text_keeps_it_marked_filtered_and_charged() {
    let chat = chat_with("o3-mini-filter-mid-stream", true, "test-key").await;
    let out = chat.send(None, "hello").await.unwrap();
    assert_eq!(out.reply.status, MessageStatus::Filtered);
    assert!(!out.reply.content.is_empty());
    assert_eq!(chat.balance().await, 97);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_midway_keeps_the_text_and_charges_once() {
    let chat = chat_with("o3-mini-cut", true, "test-key").await;
    let out = chat.send(None, "hello").await.unwrap();
    assert_eq!(out.reply.status, MessageStatus::Error);
    assert!(
        out.reply.content.starts_with("Mock"),
        "{:?}",
        out.reply.content
    );
    let error = out.reply.error.clone().unwrap_or_default();
    assert!(
        error.contains("stream"),
        "the reply says what happened: {error:?}"
    );
    assert_eq!(chat.balance().await, 97);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_streaming_deployment_answers_through_the_same_events() {
    let chat = chat_with("o1-nostream", false, "test-key").await;
    let mut events = chat.core.events().subscribe();
    let out = chat.send(None, "hello").await.unwrap();
    assert_eq!(out.reply.content, "Mock reply to: hello");
    assert_eq!(out.reply.status, MessageStatus::Complete);
    let mut deltas = 0;
    while let Ok(event) = events.try_recv() {
        if let DomainEvent::ReplyDelta { delta, .. } = event {
            assert_eq!(delta, "Mock reply to: hello");
            deltas += 1;
        }
    }
    assert_eq!(deltas, 1);
    assert_eq!(chat.balance().await, 97);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multibyte_text_split_across_reads_arrives_whole() {
    let chat = chat_with("o3-mini-utf8-split", true, "test-key").await;
    let out = chat.send(None, "héllo 👋🏽 世界").await.unwrap();
    assert_eq!(out.reply.status, MessageStatus::Complete);
    assert!(out.reply.content.contains("👋🏽"), "{:?}", out.reply.content);
    assert!(
        !out.reply.content.contains('\u{FFFD}'),
        "no replacement characters"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_comments_and_crlf_are_tolerated() {
    let chat = chat_with("o3-mini-keepalive", true, "test-key").await;
    let out = chat.send(None, "hello").await.unwrap();
    assert_eq!(out.reply.content, "Mock reply to: hello");
    assert_eq!(out.reply.status, MessageStatus::Complete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_message_goes_with_exactly_the_last_ten_before_it() {
    let chat = chat_with("o3-mini", true, "test-key").await;
    let session = chat.core.chat().create_session(None).await.unwrap();
    for i in 1..=6 {
        chat.send(Some(session.id), &format!("message {i}"))
            .await
            .unwrap();
    }
    // Twelve messages so far (6 sent, 6 replies): the 13th goes with the ten
    // before it, so the first exchange is left out.
    chat.send(Some(session.id), "message 7").await.unwrap();
    let last = chat.mock.requests().last().cloned().unwrap();
    let messages = last.body["messages"].as_array().unwrap().clone();
    assert_eq!(
        messages.len(),
        1 + 10 + 1,
        "developer + 10 + new: {messages:#?}"
    );
    assert_eq!(messages[0]["role"], "developer");
    assert_eq!(messages[1]["content"], "message 2");
    assert_eq!(messages[2]["content"], "Mock reply to: message 2");
    assert_eq!(messages[10]["content"], "Mock reply to: message 6");
    assert_eq!(messages[11]["content"], "message 7");
    assert_eq!(messages[11]["role"], "user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_is_sent_only_when_asked() {
    let chat = chat_with("o3-mini", true, "test-key").await;
    let project = chat
        .core
        .projects()
        .create_project("Moon base", "Build it")
        .await
        .unwrap();
    let session = chat.core.chat().create_session(None).await.unwrap();
    chat.send(Some(session.id), "no context").await.unwrap();
    let without = chat
        .mock
        .requests()
        .last()
        .cloned()
        .unwrap()
        .body
        .to_string();
    assert!(!without.contains("Moon base") && !without.contains(&project.display_id));

    chat.core
        .chat_engine()
        .send(SendRequest {
            session: Some(RecordRef::Id(session.id)),
            content: "with context".into(),
            include_context: true,
            idempotency_key: None,
            edit_of: None,
            attachments: Vec::new(),
        })
        .await
        .unwrap();
    let with = chat
        .mock
        .requests()
        .last()
        .cloned()
        .unwrap()
        .body
        .to_string();
    assert!(
        with.contains("Moon base") && with.contains(&project.display_id),
        "{with}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_after_text_keeps_it_and_charges_once() {
    let chat = Arc::new(chat_with("o3-mini-slow", true, "test-key").await);
    let session = chat.core.chat().create_session(None).await.unwrap();
    let mut events = chat.core.events().subscribe();
    let sending = {
        let chat = chat.clone();
        tokio::spawn(async move { chat.send(Some(session.id), "go slowly").await })
    };
    loop {
        if let Ok(DomainEvent::ReplyDelta { .. }) = events.recv().await {
            break;
        }
    }
    // Another reader (a second window) sees the text saved so far.
    let page = chat
        .core
        .chat()
        .list_messages(&RecordRef::Id(session.id), None, None)
        .await
        .unwrap();
    let live = &page.messages[1];
    assert_eq!(live.status, MessageStatus::Streaming);
    assert!(live.content.starts_with("Mock reply"), "{}", live.content);
    let journals = chat._env.data_dir().join("streams");
    assert_eq!(std::fs::read_dir(&journals).unwrap().count(), 1);

    assert!(chat.core.chat_engine().stop_reply(session.id));
    let out = sending.await.unwrap().unwrap();
    assert_eq!(out.reply.status, MessageStatus::Stopped);
    assert!(out.reply.content.starts_with(&live.content));
    assert_eq!(chat.balance().await, 97);
    // The text is in the message now; its journal is gone.
    assert_eq!(std::fs::read_dir(&journals).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_generation_per_session_but_several_sessions_at_once() {
    let chat = Arc::new(chat_with("o3-mini-slow", true, "test-key").await);
    let a = chat.core.chat().create_session(None).await.unwrap();
    let b = chat.core.chat().create_session(None).await.unwrap();
    let mut events = chat.core.events().subscribe();
    let first = {
        let chat = chat.clone();
        tokio::spawn(async move { chat.send(Some(a.id), "first").await })
    };
    let other = {
        let chat = chat.clone();
        tokio::spawn(async move { chat.send(Some(b.id), "other session").await })
    };
    // Wait until both replies have text, so stopping them charges both.
    let mut with_text = std::collections::HashSet::new();
    while with_text.len() < 2 {
        if let Ok(DomainEvent::ReplyDelta { session_id, .. }) = events.recv().await {
            with_text.insert(session_id);
        }
    }
    let busy = chat.send(Some(a.id), "second").await.unwrap_err();
    assert_eq!(busy.code(), ErrorCode::SessionBusy);
    chat.core.chat_engine().stop_reply(a.id);
    chat.core.chat_engine().stop_reply(b.id);
    first.await.unwrap().unwrap();
    other.await.unwrap().unwrap();
    // Two sends charged; the refused one was not.
    assert_eq!(chat.balance().await, 94);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerating_replaces_the_last_reply_for_three_more_credits() {
    let chat = chat_with("o3-mini", true, "test-key").await;
    let first = chat.send(None, "tell me").await.unwrap();
    let session = RecordRef::Id(first.session.id);
    let again = chat
        .core
        .chat_engine()
        .regenerate(&session, false)
        .await
        .unwrap();
    assert_eq!(again.reply.content, "Mock reply to: tell me");
    assert_ne!(again.reply.id, first.reply.id);
    // The model saw the question again, without the reply being replaced.
    let request = chat.mock.requests().last().cloned().unwrap();
    let messages = request.body["messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_eq!(messages[1]["content"], "tell me");
    let page = chat
        .core
        .chat()
        .list_messages(&session, None, None)
        .await
        .unwrap();
    let ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [first.user_message.id, again.reply.id]);
    assert_eq!(chat.balance().await, 94);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_regeneration_keeps_the_old_reply_and_is_refunded() {
    let chat = chat_with("o3-mini", true, "test-key").await;
    let first = chat.send(None, "tell me").await.unwrap();
    let broken = ProviderConfig::Azure(AzureConfig {
        endpoint: chat.mock.base_url(),
        deployment: "o3-mini-not-found".into(),
        api_version: Some("2025-04-01-preview".into()),
        family: ModelFamily::OSeries,
        streams: true,
        reasoning_effort: None,
        max_completion_tokens: None,
        vision: false,
    });
    chat.core.chat_engine().set_provider(Some(
        providers::build(&broken, Some(Secret::new("test-key"))).unwrap(),
    ));
    let session = RecordRef::Id(first.session.id);
    let err = chat
        .core
        .chat_engine()
        .regenerate(&session, false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DeploymentNotFound);
    let page = chat
        .core
        .chat()
        .list_messages(&session, None, None)
        .await
        .unwrap();
    assert!(page
        .messages
        .iter()
        .any(|m| m.id == first.reply.id && m.content == first.reply.content));
    assert_eq!(chat.balance().await, 97, "only the first send is charged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn there_is_nothing_to_regenerate_without_a_reply() {
    let chat = chat_with("o3-mini", true, "test-key").await;
    let session = chat.core.chat().create_session(None).await.unwrap();
    let err = chat
        .core
        .chat_engine()
        .regenerate(&RecordRef::Id(session.id), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(chat.balance().await, 100);
}

/// A process that died after paying but before any text left an empty
/// `streaming` reply: the next start marks it interrupted and refunds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranded_reply_without_text_is_refunded_at_the_next_start() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let session = core.chat().create_session(None).await.unwrap();
    let (question, spend) = core
        .chat()
        .record_user_message(&RecordRef::Id(session.id), "hello", "k1")
        .await
        .unwrap();
    let dead_owner = "00000000-0000-4000-8000-000000000000";
    let reply: i64 = sqlx::query_scalar(
        "INSERT INTO chat_messages (session_id, user_id, role, content, status, spend_id,
                                    stream_owner, parent_id, created_at, updated_at)
         VALUES (?, ?, 'assistant', '', 'streaming', ?, ?, ?, '2026-03-10T09:00:00Z', '2026-03-10T09:00:00Z')
         RETURNING id",
    )
    .bind(session.id)
    .bind(core.user_id())
    .bind(spend.id)
    .bind(dead_owner)
    .bind(question.id)
    .fetch_one(core.db().pool())
    .await
    .unwrap();
    // The reply ends the conversation, as a send leaves it.
    sqlx::query("UPDATE chat_sessions SET active_leaf_id = ? WHERE id = ?")
        .bind(reply)
        .bind(session.id)
        .execute(core.db().pool())
        .await
        .unwrap();
    assert_eq!(core.balance().await.unwrap().remaining, 97);
    core.close().await;
    drop(core);

    let core = env.open().await;
    let page = core
        .chat()
        .list_messages(&RecordRef::Id(session.id), None, None)
        .await
        .unwrap();
    let reply = page.messages.last().unwrap();
    assert_eq!(reply.status, MessageStatus::Interrupted);
    assert_eq!(
        core.balance().await.unwrap().remaining,
        100,
        "nothing was delivered"
    );
    core.ledger().verify(core.user_id()).await.unwrap();
}

/// Settings hold the model when the environment does not; a damaged
/// setting is a clear error, never a silent default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_can_come_from_settings_and_a_damaged_setting_is_reported() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let bad = ProviderConfig::Azure(AzureConfig {
        endpoint: "ftp://example".into(),
        deployment: "x".into(),
        api_version: None,
        family: ModelFamily::OSeries,
        streams: true,
        reasoning_effort: None,
        max_completion_tokens: None,
        vision: false,
    });
    assert_eq!(
        core.settings().set_provider(&bad).await.unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    let good = ProviderConfig::OpenAiCompatible(providers::OpenAiCompatConfig {
        base_url: "http://127.0.0.1:11434/v1".into(),
        model: "llama3".into(),
        streams: true,
        vision: false,
    });
    core.settings().set_provider(&good).await.unwrap();
    assert_eq!(core.settings().provider().await.unwrap(), Some(good));

    sqlx::query("UPDATE settings SET value = '{\"kind\": \"azure\", \"endpoint\": 7' WHERE key = 'provider'")
        .execute(core.db().pool())
        .await
        .unwrap();
    let err = core.settings().provider().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::SettingCorrupt);
    assert!(err.to_string().contains("provider"), "{err}");
}
