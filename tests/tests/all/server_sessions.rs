//! Chat sessions on banter-server: the core's `ChatStore` on Postgres. One
//! account can never read, rename, delete, list the messages of or export
//! another's session — by row id or by display id, which every account
//! numbers from `CH-000001` — and is told `not_found` (not "forbidden": a
//! session's existence is not revealed). Paid user messages from two
//! instances at once never overdraw; a streaming reply's text, kept in
//! Postgres, is seen from either instance, and goes with the statement that
//! ends the reply, however it ends.

use banter_core::chat::rows::ChatRows;
use banter_core::chat::{JournalAppend, Journals, MessageStatus, PgJournal, ReplyEnd};
use banter_core::clock::Clock;
use banter_core::ids::{display_id, IdKind, RecordRef};
use banter_core::ledger::LedgerError;
use banter_core::Error;
use banter_server::auth::Caller;
use banter_server::routes::sessions::chat_for;
use banter_tests::hosted::Hosted;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn caller(user_id: &str) -> Caller {
    Caller {
        user_id: user_id.to_string(),
        device_id: "test".to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_account_never_reaches_another_accounts_sessions() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let bob = h.sign_in("bob", "desktop").await;
    let (a, b) = (
        alice.tokens.access_token.as_str(),
        bob.tokens.access_token.as_str(),
    );

    let (status, first) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/sessions",
            Some(a),
            Some(json!({"title": "Alice's plans"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["displayId"], "CH-000001");
    let (_, bobs) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/sessions",
            Some(b),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        bobs["displayId"], "CH-000001",
        "each account numbers its own sessions"
    );
    let alice_row = first["id"].as_i64().unwrap();
    let (_, second) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/sessions",
            Some(a),
            Some(json!({"title": "Second"})),
        )
        .await;
    assert_eq!(second["displayId"], "CH-000002");

    // Bob, by Alice's row id and by her second display id (he has no CH-000002).
    for target in [alice_row.to_string(), "CH-000002".to_string()] {
        let base = format!("/v1/sessions/{target}");
        for (method, path, body) in [
            (Method::GET, base.clone(), None),
            (
                Method::PATCH,
                base.clone(),
                Some(json!({"title": "mine now"})),
            ),
            (Method::GET, format!("{base}/messages"), None),
            (Method::GET, format!("{base}/export?format=markdown"), None),
            (Method::DELETE, base.clone(), None),
        ] {
            let (status, err) = h.call(method.clone(), &h.a.url, &path, Some(b), body).await;
            assert_eq!(
                (status, err["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{method} {path}: {err}"
            );
        }
    }
    // Bob's CH-000001 is his own session, not Alice's.
    let (_, mine) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/sessions/CH-000001",
            Some(b),
            None,
        )
        .await;
    assert_eq!(mine["id"], bobs["id"]);
    let (_, bob_list) = h
        .call(Method::GET, &h.b.url, "/v1/sessions", Some(b), None)
        .await;
    assert_eq!(bob_list["sessions"].as_array().unwrap().len(), 1);

    // Alice still has both sessions, untouched.
    let (_, list) = h
        .call(Method::GET, &h.b.url, "/v1/sessions", Some(a), None)
        .await;
    let titles: Vec<_> = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].clone())
        .collect();
    assert_eq!(titles, vec![json!("Second"), json!("Alice's plans")]);
    let (status, renamed) = h
        .call(
            Method::PATCH,
            &h.a.url,
            "/v1/sessions/CH-000001",
            Some(a),
            Some(json!({"title": "Renamed"})),
        )
        .await;
    assert_eq!(
        (status, renamed["title"].as_str()),
        (StatusCode::OK, Some("Renamed"))
    );
    let (status, export) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/sessions/CH-000001/export?format=markdown",
            Some(a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        export["content"].as_str().unwrap().starts_with("# Renamed"),
        "{export}"
    );
    let (status, gone) = h
        .call(
            Method::DELETE,
            &h.b.url,
            "/v1/sessions/CH-000002",
            Some(a),
            None,
        )
        .await;
    assert_eq!(
        (status, gone["title"].as_str()),
        (StatusCode::OK, Some("Second"))
    );
    let (status, bad) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/sessions/not-an-id",
            Some(a),
            None,
        )
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_paid_messages_from_two_instances_leave_exactly_one_credit() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let who = caller(&alice.user_id);
    let session = chat_for(&h.a.state, &who)
        .create_session(None)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 0..40 {
        let chat = chat_for(if n % 2 == 0 { &h.a.state } else { &h.b.state }, &who);
        let session = RecordRef::Id(session.id);
        tasks.push(tokio::spawn(async move {
            chat.record_user_message(&session, &format!("message {n}"), &format!("key-{n}"))
                .await
        }));
    }
    let (mut won, mut lost) = (0, 0);
    let mut a_winner = None;
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(_) => {
                won += 1;
                a_winner = Some(n);
            }
            Err(Error::Ledger(LedgerError::InsufficientCredits {
                needed: 3,
                available: 1,
            })) => lost += 1,
            Err(other) => panic!("unexpected failure: {other:?}"),
        }
    }
    assert_eq!((won, lost), (33, 7));
    let chat = chat_for(&h.b.state, &who);
    let session = chat.get_session(&RecordRef::Id(session.id)).await.unwrap();
    assert_eq!(session.message_count, 33);
    // Named by whichever paid message came first.
    assert!(
        session
            .title
            .as_deref()
            .is_some_and(|t| t.starts_with("message ")),
        "{session:?}"
    );
    let report = h.a.state.ledger.verify(&alice.user_id).await.unwrap();
    assert_eq!((report.entries, report.balance), (34, 1));
    // A retried key of a paid message replays it, charging nothing.
    let n = a_winner.unwrap();
    let (again, spend) = chat
        .record_user_message(
            &RecordRef::Id(session.id),
            &format!("message {n}"),
            &format!("key-{n}"),
        )
        .await
        .unwrap();
    assert_eq!(again.content, format!("message {n}"));
    assert_eq!(
        h.b.state
            .ledger
            .verify(&alice.user_id)
            .await
            .unwrap()
            .entries,
        34
    );
    assert_eq!(spend.amount, -3);
}

#[tokio::test]
async fn display_ids_are_written_as_on_the_desktop_past_six_digits() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let chat = chat_for(&h.a.state, &caller(&alice.user_id));
    let first = chat.create_session(None).await.unwrap();
    assert_eq!(first.display_id, display_id(IdKind::ChatSession, 1));
    sqlx::query("UPDATE counters SET value = 999998 WHERE user_id = $1 AND name = 'CH'")
        .bind(&alice.user_id)
        .execute(h.a.state.store.pool())
        .await
        .unwrap();
    let last_of_six = chat.create_session(None).await.unwrap();
    let seventh = chat.create_session(Some("Seven digits")).await.unwrap();
    assert_eq!(last_of_six.display_id, "CH-999999");
    assert_eq!(seventh.display_id, "CH-1000000");
    assert_eq!(
        seventh.display_id,
        display_id(IdKind::ChatSession, 1_000_000)
    );
    let typed = RecordRef::parse(IdKind::ChatSession, "ch-1000000").unwrap();
    let found = chat_for(&h.b.state, &caller(&alice.user_id))
        .get_session(&typed)
        .await
        .unwrap();
    assert_eq!(
        (found.id, found.title.as_deref()),
        (seventh.id, Some("Seven digits"))
    );
}

#[tokio::test]
async fn a_streaming_replys_text_lives_in_postgres_for_every_instance() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let who = caller(&alice.user_id);
    let chat = chat_for(&h.a.state, &who);
    let session = chat.create_session(Some("Streaming")).await.unwrap();
    let (question, spend) = chat
        .record_user_message(&RecordRef::Id(session.id), "Tell me a story", "story")
        .await
        .unwrap();
    let mut conn = h.a.state.store.pool().acquire().await.unwrap();
    let now = h.clock.now();
    let reply = conn
        .insert_reply(
            &alice.user_id,
            session.id,
            question.id,
            spend.id,
            "instance-a",
            now,
        )
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Streaming);
    let journal = PgJournal::new(h.a.state.store.pool().clone());
    let mut writer = journal.create(reply.id).await.unwrap();
    writer.append("Once upon ").await.unwrap();
    writer.append("a time").await.unwrap();
    // Instance b reads the text streamed so far.
    let page = chat_for(&h.b.state, &who)
        .list_messages(&RecordRef::Id(session.id), None, None)
        .await
        .unwrap();
    let last = page.messages.last().unwrap();
    assert_eq!(
        (last.id, last.content.as_str()),
        (reply.id, "Once upon a time")
    );
    // Finishing writes the text into the row and drops the chunks, in one
    // statement that also reads the session and the buckets.
    let end = ReplyEnd {
        content: "Once upon a time",
        status: MessageStatus::Complete,
        tokens: 4,
        usage: None,
        error: None,
        model: Some("o3-mini"),
        reasoning_effort: None,
    };
    let finished = conn
        .finish_reply(&alice.user_id, reply.id, &end, now)
        .await
        .unwrap();
    assert_eq!(
        (finished.reply.content.as_str(), finished.reply.status),
        ("Once upon a time", MessageStatus::Complete)
    );
    assert_eq!(finished.session.id, session.id);
    assert_eq!(finished.session.title.as_deref(), Some("Streaming"));
    assert_eq!(finished.session.message_count, 2);
    let balance = h.a.state.ledger.balance(&alice.user_id).await.unwrap();
    assert_eq!(
        finished.usage.free_remaining + finished.usage.purchased_remaining,
        balance.remaining
    );
    assert_eq!(
        journal.read_what_it_can(reply.id).await.as_deref(),
        Some("")
    );

    // So do the two other ends of a streaming reply: refunded, and
    // recovered as interrupted.
    for end in ["refunded", "interrupted"] {
        let reply = conn
            .insert_reply(
                &alice.user_id,
                session.id,
                question.id,
                spend.id,
                "instance-a",
                now,
            )
            .await
            .unwrap();
        let mut writer = journal.create(reply.id).await.unwrap();
        writer.append("Half a ").await.unwrap();
        writer.append("story").await.unwrap();
        assert_eq!(
            journal.read_what_it_can(reply.id).await.as_deref(),
            Some("Half a story")
        );
        if end == "refunded" {
            conn.end_refunded_reply(reply.id, MessageStatus::Error, "failed", None, None, now)
                .await
                .unwrap();
        } else {
            conn.mark_interrupted(reply.id, "Half a story", 3, "stopped", now)
                .await
                .unwrap();
        }
        assert!(!conn.is_streaming(reply.id).await.unwrap(), "{end}");
        assert_eq!(
            journal.read_what_it_can(reply.id).await.as_deref(),
            Some(""),
            "{end}"
        );
    }
}
