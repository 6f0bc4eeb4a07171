//! A server instance that dies mid-reply: its streaming replies are ended by
//! another instance once it has not been seen for `GONE_AFTER` — kept as
//! `interrupted` with the text that reached Postgres and charged once, or
//! refunded when nothing was streamed. Two instances recovering at once end
//! each reply once; a live instance's replies are left alone. The rows of
//! instances long gone are deleted once nothing of theirs is left to end.

use banter_core::chat::rows::ChatRows;
use banter_core::chat::{JournalAppend, Journals, MessageStatus, PgJournal};
use banter_core::clock::Clock;
use banter_core::ids::RecordRef;
use banter_core::jobs::JobKind;
use banter_core::ledger::EntryKind;
use banter_server::auth::Caller;
use banter_server::instances::{self, FORGOTTEN_AFTER, GONE_AFTER};
use banter_server::routes::sessions::chat_for;
use banter_tests::hosted::Hosted;

/// Two instances, and Alice signed in on her laptop (as the server's
/// routes see her).
async fn alice_signed_in() -> (Hosted, banter_server::accounts::SignedIn, Caller) {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let who = Caller {
        user_id: alice.user_id.clone(),
        device_id: "test".into(),
    };
    (h, alice, who)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_instances_replies_are_ended_once_by_the_others() {
    let (h, alice, who) = alice_signed_in().await;
    let chat = chat_for(&h.a.state, &who);
    let pool = h.a.state.store.pool().clone();
    let journal = PgJournal::new(pool.clone());
    let now = h.clock.now();
    instances::beat(&pool, "dead", now).await.unwrap();
    instances::beat(&pool, "alive", now).await.unwrap();

    // Three paid exchanges, their replies streaming: two on the instance
    // that will die (one with text, one without), one on a live instance.
    let mut replies = Vec::new();
    for (n, owner, text) in [
        (1, "dead", "Once upon a "),
        (2, "dead", ""),
        (3, "alive", "Hello"),
    ] {
        let session = chat.create_session(None).await.unwrap();
        let (question, spend) = chat
            .record_user_message(
                &RecordRef::Id(session.id),
                &format!("question {n}"),
                &format!("k{n}"),
            )
            .await
            .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let reply = conn
            .insert_reply(
                &alice.user_id,
                session.id,
                question.id,
                spend.id,
                owner,
                now,
            )
            .await
            .unwrap();
        let mut writer = journal.create(reply.id).await.unwrap();
        if !text.is_empty() {
            writer.append(text).await.unwrap();
        }
        replies.push((session.id, reply.id));
    }
    assert_eq!(
        h.a.state
            .ledger
            .balance(&alice.user_id)
            .await
            .unwrap()
            .remaining,
        91
    );

    // Not yet gone: nothing is ended.
    h.clock.advance(GONE_AFTER - chrono::Duration::seconds(1));
    instances::beat(&pool, "alive", h.clock.now())
        .await
        .unwrap();
    assert_eq!(instances::recover(&h.b.state).await.unwrap(), 0);

    // Gone: both other instances look at once; each reply is ended once.
    h.clock.advance(chrono::Duration::seconds(2));
    instances::beat(&pool, "alive", h.clock.now())
        .await
        .unwrap();
    let (one, two) = tokio::join!(
        instances::recover(&h.a.state),
        instances::recover(&h.b.state)
    );
    assert_eq!(one.unwrap() + two.unwrap(), 2);

    let message = |(session, reply): (i64, i64)| {
        let chat = chat_for(&h.b.state, &who);
        async move {
            let page = chat
                .list_messages(&RecordRef::Id(session), None, None)
                .await
                .unwrap();
            page.messages.into_iter().find(|m| m.id == reply).unwrap()
        }
    };
    let cut = message(replies[0]).await;
    assert_eq!(
        (cut.status, cut.content.as_str()),
        (MessageStatus::Interrupted, "Once upon a ")
    );
    let empty = message(replies[1]).await;
    assert_eq!(
        (empty.status, empty.content.as_str()),
        (MessageStatus::Interrupted, "")
    );
    let live = message(replies[2]).await;
    assert_eq!(
        (live.status, live.content.as_str()),
        (MessageStatus::Streaming, "Hello")
    );

    // Charged for the one that streamed text; the empty one refunded once.
    let history =
        h.a.state
            .ledger
            .history(&alice.user_id, None, 100)
            .await
            .unwrap();
    let refunds = history
        .iter()
        .filter(|e| e.kind == EntryKind::Refund)
        .count();
    assert_eq!(refunds, 1);
    assert_eq!(
        h.b.state
            .ledger
            .balance(&alice.user_id)
            .await
            .unwrap()
            .remaining,
        94
    );
    h.a.state.ledger.verify(&alice.user_id).await.unwrap();
    assert_eq!(
        instances::recover(&h.a.state).await.unwrap(),
        0,
        "nothing is ended twice"
    );
}

/// The names in `server_instances`, sorted.
async fn instance_rows(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT name FROM server_instances ORDER BY name")
        .fetch_all(pool)
        .await
        .expect("the instance rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_long_gone_are_forgotten_once_nothing_of_theirs_is_left_to_end() {
    let (h, alice, who) = alice_signed_in().await;
    let chat = chat_for(&h.a.state, &who);
    let pool = h.a.state.store.pool().clone();
    let start = h.clock.now();
    for name in ["crashed", "crashed-streaming", "crashed-running"] {
        instances::beat(&pool, name, start).await.unwrap();
    }
    // One crashed instance still owns a streaming reply, one a running job.
    let session = chat.create_session(None).await.unwrap();
    let (question, spend) = chat
        .record_user_message(&RecordRef::Id(session.id), "question", "k1")
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    conn.insert_reply(
        &alice.user_id,
        session.id,
        question.id,
        spend.id,
        "crashed-streaming",
        start,
    )
    .await
    .unwrap();
    drop(conn);
    super::server_paid_jobs::running_job(
        &h.a.state,
        &alice.user_id,
        JobKind::Scrape,
        "crashed-running",
        "job-1",
    )
    .await;
    // One more crashed later: gone by the end, but not for long.
    let lately = start + FORGOTTEN_AFTER - GONE_AFTER;
    instances::beat(&pool, "crashed-lately", lately)
        .await
        .unwrap();

    // Just before FORGOTTEN_AFTER nothing is forgotten.
    h.clock.advance(FORGOTTEN_AFTER);
    h.beat().await;
    assert_eq!(
        instances::forget_gone(&pool, h.clock.now()).await.unwrap(),
        0
    );

    // Past it: the live instances, looking at once, delete the row of the
    // crashed instance that owns nothing, once; the others stay.
    h.clock.advance(chrono::Duration::seconds(1));
    h.beat().await;
    let now = h.clock.now();
    let (x, y) = tokio::join!(
        instances::forget_gone(h.a.state.store.pool(), now),
        instances::forget_gone(h.b.state.store.pool(), now)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    assert_eq!(
        instance_rows(&pool).await,
        [
            "crashed-lately",
            "crashed-running",
            "crashed-streaming",
            "test-a",
            "test-b"
        ]
    );

    // The heartbeat's work ends the reply and the job, then forgets their
    // instances; the one that crashed lately waits for its turn.
    instances::look_after(&h.a.state).await;
    assert_eq!(
        instance_rows(&pool).await,
        ["crashed-lately", "test-a", "test-b"]
    );
    let streaming: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM chat_messages WHERE status = 'streaming'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(streaming, 0);
    h.a.state.ledger.verify(&alice.user_id).await.unwrap();
}
