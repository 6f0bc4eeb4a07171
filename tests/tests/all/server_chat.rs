//! Sending through the server: two instances on one Postgres price, spend,
//! stream and store replies with the core's rules. Concurrent sends never
//! overdraw; a session answers one reply at a time across instances; a
//! reply outlives its client, a shutdown stops it cleanly, and one left by
//! an instance killed with SIGKILL is ended once by the others.

use banter_core::providers::{self, ChatProvider, Secret};
use banter_mocks::azure::{self, MockConfig, MockServer};
use banter_server::instances::{self, GONE_AFTER};
use banter_tests::hosted::{Hosted, Sent, BROKEN};
use banter_tests::mock_azure_config;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The price of a chat message, as the core's price list says.
fn message_cost() -> i64 {
    banter_core::ledger::Action::ChatMessage.cost()
}

async fn mock(slow_ms: u64) -> MockServer {
    azure::start(MockConfig {
        slow_ms,
        ..MockConfig::default()
    })
    .await
    .expect("mock Azure")
}

/// Two instances answering with the mock's `deployment` (`slow_ms` a word
/// when it is a slow one), a 5 s shutdown grace; the mock lives as long as
/// the returned handle.
async fn chatting(slow_ms: u64, deployment: &str) -> (MockServer, Hosted) {
    let azure = mock(slow_ms).await;
    let h = Hosted::chatting(
        "2026-03-10T12:00:00Z",
        model(&azure, deployment),
        Duration::from_secs(5),
    )
    .await;
    (azure, h)
}

fn model(mock: &MockServer, deployment: &str) -> Arc<dyn ChatProvider> {
    let config = mock_azure_config(&mock.base_url(), deployment, true);
    providers::build(&config, Some(Secret::new("test-key"))).expect("the mock model")
}

/// Reads `events` up to the first text of the reply; returns the session's
/// `CH-` id learnt from nothing but the stream (the reply's session row id
/// is resolved by the caller) and the text.
async fn first_text(events: &mut banter_tests::hosted::EventStream) -> (i64, String) {
    while let Some((name, data)) = events.next().await {
        if name == "reply" && data["type"] == "reply_delta" {
            let session = data["sessionId"].as_i64().expect("a session id");
            let text = data["delta"].as_str().expect("text").to_string();
            return (session, text);
        }
    }
    panic!("the stream ended before any text");
}

async fn messages(h: &Hosted, base: &str, token: &str, session: &str) -> Vec<Value> {
    let path = format!("/v1/sessions/{session}/messages");
    let (status, page) = h.call(Method::GET, base, &path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["messages"].as_array().expect("messages").clone()
}

/// The display id of the session with row id `id` among the caller's.
async fn display_id(h: &Hosted, token: &str, id: i64) -> String {
    let (_, page) = h
        .call(Method::GET, &h.a.url, "/v1/sessions", Some(token), None)
        .await;
    page["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["id"] == id)
        .and_then(|s| s["displayId"].as_str())
        .expect("the session is listed")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_sends_from_one_account_on_two_instances_never_overdraw() {
    let (azure, h) = chatting(0, "o3-mini").await;
    let h = Arc::new(h);
    let alice = h.sign_in("alice", "laptop").await;
    let token = alice.tokens.access_token.clone();
    let start = h.a.state.ledger.balance(&alice.user_id).await.unwrap();
    let affordable = start.remaining / message_cost();

    let sends = (0..40).map(|n| {
        let (h, token) = (h.clone(), token.clone());
        tokio::spawn(async move {
            let base = if n % 2 == 0 { &h.a.url } else { &h.b.url };
            let body =
                json!({"content": format!("question {n}"), "idempotencyKey": format!("k{n}")});
            match h.send(base, &token, body).await {
                Sent::Refused(status, body) => Err((status, body)),
                Sent::Streaming(events) => {
                    let events: Vec<_> = events.collect().await;
                    Ok(events.last().cloned().expect("a final event"))
                }
            }
        })
    });
    let mut answered = 0;
    let mut refused = 0;
    for send in futures_util::future::join_all(sends).await {
        match send.unwrap() {
            Ok((name, outcome)) => {
                assert_eq!(name, "outcome", "{outcome}");
                assert_eq!(outcome["reply"]["status"], "complete");
                answered += 1;
            }
            Err((status, body)) => {
                assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
                assert_eq!(body["code"], "insufficient_credits");
                refused += 1;
            }
        }
    }
    assert_eq!(answered, affordable);
    assert_eq!(answered + refused, 40);
    let end = h.b.state.ledger.balance(&alice.user_id).await.unwrap();
    assert_eq!(end.remaining, start.remaining - affordable * message_cost());
    h.a.state.ledger.verify(&alice.user_id).await.unwrap();
    // The provider was asked once per answered send, and a refused send
    // leaves no empty session behind.
    assert_eq!(azure.requests().len() as i64, affordable);
    let (_, page) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/sessions?limit=100",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        page["sessions"].as_array().unwrap().len() as i64,
        affordable
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_send_is_the_first_one_and_charged_once() {
    let (azure, h) = chatting(0, "o3-mini").await;
    let alice = h.sign_in("alice", "laptop").await;
    let token = &alice.tokens.access_token;
    let body = json!({"content": "Hello there", "idempotencyKey": "retry-me"});
    let first = h
        .send(&h.a.url, token, body.clone())
        .await
        .all_events()
        .await;
    let again = h.send(&h.b.url, token, body).await.all_events().await;
    let (first, again) = (&first.last().unwrap().1, &again.last().unwrap().1);
    assert_eq!(first["replayed"], false);
    assert_eq!(again["replayed"], true);
    assert_eq!(again["reply"]["id"], first["reply"]["id"]);
    assert_eq!(again["reply"]["content"], first["reply"]["content"]);
    assert_eq!(azure.requests().len(), 1);
    // The key is bound to its message: another text with it is refused.
    let other = json!({"content": "Something else", "idempotencyKey": "retry-me"});
    let Sent::Refused(status, refusal) = h.send(&h.a.url, token, other).await else {
        panic!("a reused key for another message must be refused");
    };
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refusal["code"], "idempotency_conflict");
    let balance = h.a.state.ledger.balance(&alice.user_id).await.unwrap();
    assert_eq!(balance.remaining, balance.total - message_cost());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_answers_one_reply_at_a_time_across_instances() {
    let (_azure, h) = chatting(30, "o3-slow").await;
    let h = Arc::new(h);
    let alice = h.sign_in("alice", "laptop").await;
    let token = alice.tokens.access_token.clone();
    let (_, session) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/sessions",
            Some(&token),
            Some(json!({})),
        )
        .await;
    let session = session["displayId"].as_str().unwrap().to_string();

    // Ten sends into one session at once, over both instances.
    let sends = (0..10).map(|n| {
        let (h, token, session) = (h.clone(), token.clone(), session.clone());
        tokio::spawn(async move {
            let base = if n % 2 == 0 { &h.a.url } else { &h.b.url };
            let body = json!({"session": session, "content": format!("question {n}")});
            match h.send(base, &token, body).await {
                Sent::Refused(status, body) => Err((status, body)),
                Sent::Streaming(events) => Ok(events.collect::<Vec<_>>().await),
            }
        })
    });
    let mut answered = 0;
    for send in futures_util::future::join_all(sends).await {
        match send.unwrap() {
            Ok(events) => {
                assert_eq!(events.last().unwrap().0, "outcome");
                answered += 1;
            }
            Err((status, body)) => {
                assert_eq!(status, StatusCode::CONFLICT, "{body}");
                assert_eq!(body["code"], "session_busy");
            }
        }
    }
    assert_eq!(answered, 1, "one reply at a time in a session");
    let balance = h.a.state.ledger.balance(&alice.user_id).await.unwrap();
    assert_eq!(
        balance.remaining,
        balance.total - message_cost(),
        "charged once"
    );
    assert_eq!(messages(&h, &h.b.url, &token, &session).await.len(), 2);
}

/// A slow reply (`slow_ms` a word) under way on instance a, read up to its
/// first text; replies in flight at a shutdown get `grace`.
struct UnderWay {
    h: Hosted,
    user_id: String,
    token: String,
    events: banter_tests::hosted::EventStream,
    /// The reply's session (row id) and the text shown so far.
    session_id: i64,
    shown: String,
    _azure: MockServer,
}

async fn a_reply_under_way(slow_ms: u64, grace: Duration) -> UnderWay {
    let azure = mock(slow_ms).await;
    let h = Hosted::chatting("2026-03-10T12:00:00Z", model(&azure, "o3-slow"), grace).await;
    let alice = h.sign_in("alice", "laptop").await;
    let token = alice.tokens.access_token.clone();
    let mut events = h
        .send(&h.a.url, &token, json!({"content": "Tell me a story"}))
        .await
        .events();
    let (session_id, shown) = first_text(&mut events).await;
    UnderWay {
        h,
        user_id: alice.user_id,
        token,
        events,
        session_id,
        shown,
        _azure: azure,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_goes_away_mid_reply_finds_it_complete_and_charged_once() {
    let UnderWay {
        h,
        user_id,
        token,
        events,
        session_id,
        shown,
        _azure,
    } = a_reply_under_way(10, Duration::from_secs(5)).await;
    let token = &token;
    drop(events); // the client goes away

    let session = display_id(&h, token, session_id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let reply = loop {
        let messages = messages(&h, &h.b.url, token, &session).await;
        let reply = messages.last().cloned().expect("the reply");
        if reply["status"] != "streaming" {
            break reply;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reply never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(reply["status"], "complete", "{reply}");
    let text = reply["content"].as_str().unwrap();
    assert!(
        text.starts_with(&shown) && text.len() > shown.len(),
        "{text}"
    );
    let balance = h.a.state.ledger.balance(&user_id).await.unwrap();
    assert_eq!(balance.remaining, balance.total - message_cost());
    h.a.state.ledger.verify(&user_id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shutdown_stops_replies_after_the_grace_and_keeps_their_text() {
    // 50 ms a word: the reply takes far longer than the grace.
    let UnderWay {
        h,
        user_id,
        events,
        shown,
        _azure,
        ..
    } = a_reply_under_way(50, Duration::from_millis(300)).await;
    h.a.shut_down().await; // as SIGTERM; returns once the reply has ended

    let rest: Vec<_> = events.collect().await;
    let (name, outcome) = rest.last().cloned().expect("a final event");
    assert_eq!(name, "outcome", "{outcome}");
    assert_eq!(outcome["reply"]["status"], "stopped");
    let text = outcome["reply"]["content"].as_str().unwrap();
    assert!(text.starts_with(&shown), "{text}");
    let balance = h.b.state.ledger.balance(&user_id).await.unwrap();
    assert_eq!(
        balance.remaining,
        balance.total - message_cost(),
        "charged once"
    );
    // Nothing is left streaming.
    let streaming: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM chat_messages WHERE status = 'streaming'")
            .fetch_one(h.b.state.store.pool())
            .await
            .unwrap();
    assert_eq!(streaming, 0);
}

/// A `banter-server` process on the harness's database, answering with the
/// mock's `deployment`; killed when dropped.
struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    fn start(database_url: &str, azure: &MockServer, deployment: &str, name: &str) -> Self {
        let mut child = Command::new(server_binary())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("BANTER_LISTEN", "127.0.0.1:0")
            .env("BANTER_INSTANCE_ID", name)
            // Nobody signs in through this instance's provider here.
            .env("BANTER_OIDC_ISSUER", "http://127.0.0.1:9")
            .env("BANTER_OIDC_CLIENT_ID", "banter")
            .env("AZURE_OPENAI_ENDPOINT", azure.base_url())
            .env("AZURE_OPENAI_DEPLOYMENT", deployment)
            .env("AZURE_OPENAI_API_VERSION", "2025-04-01-preview")
            .env("AZURE_OPENAI_KEY", "test-key")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start banter-server");
        let stdout = child.stdout.take().expect("its output");
        let mut lines = BufReader::new(stdout).lines();
        // Log lines may come before the one that names its address.
        let url = loop {
            let line = lines
                .next()
                .expect("banter-server exited before it listened")
                .expect("its output");
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                break url.to_string();
            }
        };
        Self { child, url }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `banter-server` beside this test binary (`cargo test --workspace` and
/// `make test` build it).
fn server_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the target directory");
    let path = dir.join("banter-server");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p banter-server` first",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_mid_reply_leaves_it_interrupted_charged_once_and_the_others_serve() {
    let azure = mock(50).await;
    let now = chrono::Utc::now().to_rfc3339();
    let h = Hosted::chatting(&now, model(&azure, "o3-mini"), Duration::from_secs(5)).await;
    let alice = h.sign_in("alice", "laptop").await;
    let token = &alice.tokens.access_token;
    let mut doomed = ServerProcess::start(&h.database_url, &azure, "o3-slow", "doomed");
    let mut events = h
        .send(&doomed.url, token, json!({"content": "Tell me a story"}))
        .await
        .events();
    let (session_id, shown) = first_text(&mut events).await;
    doomed.child.kill().expect("SIGKILL");
    doomed.child.wait().expect("it died");
    let rest: Vec<_> = events.collect().await;
    let names: Vec<_> = rest.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.last(), Some(&BROKEN), "{rest:?}");
    assert!(
        names.iter().all(|name| *name == "reply" || *name == BROKEN),
        "a killed instance says nothing more: {rest:?}"
    );

    // Until the doomed instance has been unseen for GONE_AFTER its reply
    // is someone's: the session is busy.
    let session = display_id(&h, token, session_id).await;
    let again = json!({"session": session, "content": "Are you there?"});
    let Sent::Refused(status, body) = h.send(&h.b.url, token, again.clone()).await else {
        panic!("a live writer's session must be busy");
    };
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("session_busy"))
    );

    // Then the other instances serve the client: it can send again…
    h.clock
        .set(chrono::Utc::now() + GONE_AFTER + chrono::Duration::seconds(1));
    h.beat().await;
    let answer = h.send(&h.b.url, token, again).await.all_events().await;
    assert_eq!(answer.last().unwrap().0, "outcome");
    // …and the stranded reply is ended once, with the text that reached
    // Postgres, charged once.
    assert_eq!(instances::recover(&h.a.state).await.unwrap(), 1);
    assert_eq!(instances::recover(&h.b.state).await.unwrap(), 0);
    let messages = messages(&h, &h.a.url, token, &session).await;
    let statuses: Vec<_> = messages
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["complete", "interrupted", "complete", "complete"]
    );
    let kept = messages[1]["content"].as_str().unwrap();
    assert!(kept.starts_with(&shown), "{kept}");
    let balance = h.a.state.ledger.balance(&alice.user_id).await.unwrap();
    assert_eq!(balance.remaining, balance.total - 2 * message_cost());
    h.a.state.ledger.verify(&alice.user_id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hosted_turn_with_context_tells_the_model_about_the_accounts_own_projects() {
    let (azure, h) = chatting(0, "o3-mini").await;
    let alice = h.sign_in("alice", "laptop").await;
    let bob = h.sign_in("bob", "laptop").await;
    for (who, name) in [(&alice, "Alice's garden"), (&bob, "Bob's secret plan")] {
        let (status, _) = h
            .call(
                Method::POST,
                &h.b.url,
                "/v1/projects",
                Some(&who.tokens.access_token),
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let body = json!({"content": "What should I plant?", "includeContext": true});
    let events = h
        .send(&h.a.url, &alice.tokens.access_token, body)
        .await
        .all_events()
        .await;
    assert_eq!(events.last().unwrap().0, "outcome");
    let prompt = azure
        .requests()
        .last()
        .expect("the model was asked")
        .body
        .to_string();
    assert!(prompt.contains("Alice's garden"), "{prompt}");
    assert!(!prompt.contains("Bob's secret plan"), "{prompt}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_shutting_down_refuses_new_replies_and_charges_nothing() {
    let (_azure, h) = chatting(0, "o3-mini").await;
    let alice = h.sign_in("alice", "laptop").await;
    // What `serve` does as a shutdown begins.
    h.b.state.replies.close();
    let body = json!({"content": "Anyone there?"});
    let Sent::Refused(status, refusal) = h
        .send(&h.b.url, &alice.tokens.access_token, body.clone())
        .await
    else {
        panic!("a server shutting down must refuse a new reply");
    };
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refusal["code"], "server_not_ready");
    let balance = h.a.state.ledger.balance(&alice.user_id).await.unwrap();
    assert_eq!(balance.remaining, balance.total);
    // The other instance answers the retry.
    let answered = h
        .send(&h.a.url, &alice.tokens.access_token, body)
        .await
        .all_events()
        .await;
    assert_eq!(answered.last().unwrap().0, "outcome");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_another_live_instance_answers_in_is_refused_before_the_ledger_is_touched() {
    use banter_core::chat::rows::ChatRows;
    use banter_core::clock::Clock;
    use banter_core::ids::RecordRef;
    use banter_core::ledger::{Action, SpendRequest};
    use banter_server::auth::Caller;
    use banter_server::routes::sessions::chat_for;

    let (azure, h) = chatting(0, "o3-mini").await;
    h.beat().await;
    let alice = h.sign_in("alice", "laptop").await;
    let who = Caller {
        user_id: alice.user_id.clone(),
        device_id: "test".into(),
    };
    let chat = chat_for(&h.a.state, &who);
    let session = chat.create_session(None).await.unwrap();
    let (question, spend) = chat
        .record_user_message(&RecordRef::Id(session.id), "Are you there?", "first")
        .await
        .unwrap();
    // Instance b, alive, is answering in the session.
    let mut conn = h.a.state.store.pool().acquire().await.unwrap();
    conn.insert_reply(
        &alice.user_id,
        session.id,
        question.id,
        spend.id,
        &h.b.state.instance,
        h.clock.now(),
    )
    .await
    .unwrap();
    // Spend the account down below a message's price: a send that reached
    // the ledger would be told it cannot pay.
    let ledger = &h.a.state.ledger;
    let mut n = 0;
    while ledger.balance(&alice.user_id).await.unwrap().remaining >= message_cost() {
        let request = SpendRequest {
            user_id: alice.user_id.clone(),
            action: Action::ChatMessage,
            idempotency_key: format!("down-{n}"),
            reference: None,
            fingerprint: None,
        };
        ledger.spend(request).await.unwrap();
        n += 1;
    }
    let rows_before = ledger.verify(&alice.user_id).await.unwrap().entries;

    let body = json!({"session": session.display_id, "content": "And now?"});
    let Sent::Refused(status, refused) = h.send(&h.a.url, &alice.tokens.access_token, body).await
    else {
        panic!("a session another live instance answers in is busy");
    };
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("session_busy")),
        "{refused}"
    );
    assert_eq!(
        ledger.verify(&alice.user_id).await.unwrap().entries,
        rows_before,
        "nothing written"
    );
    assert!(azure.requests().is_empty(), "nothing asked");
}

/// The texts of the prompt the mock was sent last, with their roles.
fn last_prompt(azure: &MockServer) -> Vec<(String, String)> {
    let request = azure
        .requests()
        .last()
        .cloned()
        .expect("the model was asked");
    request.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            let text = |key: &str| m[key].as_str().unwrap_or_default().to_string();
            (text("role"), text("content"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hosted_send_goes_with_exactly_the_last_ten_before_it_and_a_regeneration_too() {
    let (azure, h) = chatting(0, "o3-mini").await;
    let alice = h.sign_in("alice", "laptop").await;
    let token = &alice.tokens.access_token;
    let first = h
        .send(&h.a.url, token, json!({"content": "message 1"}))
        .await
        .all_events()
        .await;
    let outcome = &first.last().expect("an outcome").1;
    let session = outcome["session"]["displayId"]
        .as_str()
        .unwrap()
        .to_string();
    // A new session's first message goes alone.
    let alone = last_prompt(&azure);
    assert_eq!(alone.len(), 2, "developer + new: {alone:?}");
    assert_eq!(alone[1], ("user".into(), "message 1".into()));
    for i in 2..=7 {
        let base = if i % 2 == 0 { &h.b.url } else { &h.a.url };
        let body = json!({"session": session, "content": format!("message {i}")});
        let events = h.send(base, token, body).await.all_events().await;
        assert_eq!(events.last().unwrap().0, "outcome");
    }
    // Twelve messages before the 7th (6 sent, 6 replies): it goes with the
    // ten before it, oldest first, so the first exchange is left out.
    let prompt = last_prompt(&azure);
    assert_eq!(prompt.len(), 1 + 10 + 1, "developer + 10 + new: {prompt:?}");
    assert_eq!(prompt[0].0, "developer");
    assert_eq!(prompt[1], ("user".into(), "message 2".into()));
    assert_eq!(
        prompt[2],
        ("assistant".into(), "Mock reply to: message 2".into())
    );
    assert_eq!(
        prompt[10],
        ("assistant".into(), "Mock reply to: message 6".into())
    );
    assert_eq!(prompt[11], ("user".into(), "message 7".into()));

    // Regenerating answers the 7th again with the same ten before it (its
    // own earlier reply is not among them).
    let again = h
        .stream(
            &h.b.url,
            "/v1/chat/regenerate",
            token,
            json!({"session": session}),
        )
        .await
        .all_events()
        .await;
    assert_eq!(again.last().unwrap().0, "outcome", "{again:?}");
    assert_eq!(last_prompt(&azure), prompt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_that_cannot_be_prepared_after_paying_is_ended_and_refunded() {
    let (azure, h) = chatting(0, "o3-mini").await;
    let alice = h.sign_in("alice", "laptop").await;
    // The context's table is gone: reading the context fails after the
    // send was paid and its reply opened.
    sqlx::query("ALTER TABLE projects RENAME TO projects_elsewhere")
        .execute(h.a.state.store.pool())
        .await
        .unwrap();
    let body = json!({"content": "What now?", "includeContext": true});
    let events = h
        .send(&h.a.url, &alice.tokens.access_token, body)
        .await
        .all_events()
        .await;
    let names: Vec<_> = events
        .iter()
        .map(|(n, d)| (n.as_str(), d["type"].clone()))
        .collect();
    let (last, error) = events.last().cloned().expect("a final event");
    assert_eq!(last, "error", "{names:?}");
    assert!(
        !error["message"].as_str().unwrap_or("").contains("projects"),
        "no database detail reaches the client: {error}"
    );
    let failed = events
        .iter()
        .find(|(n, d)| n == "reply" && d["type"] == "reply_failed")
        .expect("the reply is announced failed");
    assert_eq!(failed.1["refunded"], true);
    assert!(azure.requests().is_empty(), "nothing was asked");
    let balance = h.b.state.ledger.balance(&alice.user_id).await.unwrap();
    assert_eq!(balance.remaining, balance.total, "refunded");
    let streaming: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM chat_messages WHERE status = 'streaming'")
            .fetch_one(h.b.state.store.pool())
            .await
            .unwrap();
    assert_eq!(streaming, 0, "no reply is left streaming");
}
