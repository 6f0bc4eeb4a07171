//! The reply journal (`<data>/streams/<id>.reply`) failing on a real file
//! system: a journal that cannot be written ends its reply at once — kept
//! with the text already shown, marked `error`, refunded, announced — and a
//! journal that cannot be read at start-up costs only that reply's text,
//! never the start-up.
//!
//! Failures are real: a directory where the journal file goes (it cannot be
//! created or read), a FIFO whose reader goes away after the first batch
//! (the next write fails with `EPIPE`), invalid UTF-8 bytes in a journal.
//! Permission bits are not used: tests may run as root, which ignores them.

use banter_core::chat::{ChatMessage, MessageStatus};
use banter_core::events::DomainEvent;
use banter_core::events::Subscription;
use banter_core::ids::RecordRef;
use banter_core::ledger::EntryKind;
use banter_core::Core;
use banter_core::ErrorCode;
use banter_mocks::{MockConfig, MockServer};
use banter_tests::{rows_of_kind, use_mock_model, verify, Env};
use std::path::PathBuf;

const DEAD_OWNER: &str = "00000000-0000-4000-8000-000000000000";

async fn mock(slow_ms: u64) -> MockServer {
    banter_mocks::start(MockConfig {
        slow_ms,
        ..MockConfig::default()
    })
    .await
    .expect("start mock")
}

/// The journal path the next reply will get: message ids are sequential
/// (`AUTOINCREMENT`), and a send adds the user's message, then the reply.
async fn next_reply_journal(env: &Env, core: &Core) -> (i64, PathBuf) {
    let last: i64 = sqlx::query_scalar(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'chat_messages'), 0)",
    )
    .fetch_one(core.db().pool())
    .await
    .expect("read the last message id");
    let id = last + 2;
    let streams = env.data_dir().join("streams");
    std::fs::create_dir_all(&streams).expect("make the streams directory");
    (id, streams.join(format!("{id}.reply")))
}

async fn send(core: &Core, session: i64, text: &str) -> banter_core::Result<ChatMessage> {
    banter_tests::send_text(core, session, text)
        .await
        .map(|out| out.reply)
}

async fn messages(core: &Core, session: i64) -> Vec<ChatMessage> {
    core.chat()
        .list_messages(&RecordRef::Id(session), None, None)
        .await
        .expect("list messages")
        .messages
}

/// The text announced for `message_id` and its `ReplyFailed` (code, refunded).
fn announced(events: &mut Subscription, id: i64) -> (String, Option<(ErrorCode, bool)>) {
    let mut text = String::new();
    let mut failed = None;
    while let Ok(event) = events.try_recv() {
        match event {
            DomainEvent::ReplyDelta {
                message_id, delta, ..
            } if message_id == id => text.push_str(&delta),
            DomainEvent::ReplyFailed {
                message_id,
                code,
                refunded,
                ..
            } if message_id == id => failed = Some((code, refunded)),
            _ => {}
        }
    }
    (text, failed)
}

fn streams_left(env: &Env) -> usize {
    std::fs::read_dir(env.data_dir().join("streams"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_write_failing_mid_reply_is_refunded_at_once_keeping_the_shown_text() {
    use std::io::Read;
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock(100).await;
    use_mock_model(&core, &mock.base_url(), "o3-mini-slow");
    let session = core.chat().create_session(None).await.unwrap();
    let (reply_id, journal) = next_reply_journal(&env, &core).await;
    // The journal is a FIFO whose reader takes the first batch and leaves:
    // the next append fails (EPIPE) in the middle of the reply.
    let made = std::process::Command::new("mkfifo")
        .arg(&journal)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = std::thread::spawn(move || {
        let mut fifo = std::fs::File::open(&journal).unwrap();
        let mut first = vec![0; 64 * 1024];
        let n = fifo.read(&mut first).unwrap();
        first.truncate(n);
        String::from_utf8(first).unwrap()
    });
    let mut events = core.events().subscribe();

    let err = send(&core, session.id, "go slowly").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReplyNotSaved, "{err}");
    assert!(err.to_string().contains("refunded"), "{err}");
    let written = reader.join().unwrap();
    // The first batch (a word or two of the slow reply) got through.
    assert!(written.starts_with("Mock"), "{written}");
    assert!(
        !written.contains("word199"),
        "the reply was cut short: {written}"
    );

    let (shown, failed) = announced(&mut events, reply_id);
    assert_eq!(shown, written, "only text that was saved was shown");
    assert_eq!(failed, Some((ErrorCode::ReplyNotSaved, true)));
    let stored = messages(&core, session.id).await;
    let reply = &stored[1];
    assert_eq!(reply.id, reply_id);
    assert_eq!(reply.status, MessageStatus::Error);
    assert_eq!(reply.content, shown, "the shown text is kept");
    assert!(reply
        .error
        .as_deref()
        .unwrap_or("")
        .contains("could not be saved"));
    assert_eq!(
        stored[0].credits_used, 0,
        "the send no longer costs anything"
    );
    // Refunded now, not at the next start.
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    assert_eq!(rows_of_kind(&core, EntryKind::Refund).await.len(), 1);
    verify(&core).await;
    assert_eq!(streams_left(&env), 0, "the broken journal is gone");

    // The session is free, and the next reply is saved as usual.
    use_mock_model(&core, &mock.base_url(), "o3-mini");
    let next = send(&core, session.id, "again").await.unwrap();
    assert_eq!(next.status, MessageStatus::Complete);
    assert_eq!(core.balance().await.unwrap().remaining, 97);
    // A restart finds nothing left to recover or refund.
    core.close().await;
    drop(core);
    let core = env.open().await;
    assert_eq!(core.balance().await.unwrap().remaining, 97);
    assert_eq!(rows_of_kind(&core, EntryKind::Refund).await.len(), 1);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_be_created_fails_the_reply_and_refunds_it() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock(10).await;
    use_mock_model(&core, &mock.base_url(), "o3-mini");
    let session = core.chat().create_session(None).await.unwrap();
    let (reply_id, journal) = next_reply_journal(&env, &core).await;
    std::fs::create_dir(&journal).unwrap();
    let mut events = core.events().subscribe();

    let err = send(&core, session.id, "hello").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReplyNotSaved, "{err}");
    let (shown, failed) = announced(&mut events, reply_id);
    assert_eq!(shown, "", "nothing unsaved is shown");
    assert_eq!(failed, Some((ErrorCode::ReplyNotSaved, true)));
    let reply = messages(&core, session.id).await.pop().unwrap();
    assert_eq!((reply.id, reply.status), (reply_id, MessageStatus::Error));
    assert_eq!(reply.content, "");
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    verify(&core).await;
}

/// Inserts a `streaming` reply left by a process that is gone, paid by a
/// new user message in a new session; returns (session, reply id).
async fn stranded_reply(core: &Core, key: &str) -> (i64, i64) {
    let session = core.chat().create_session(None).await.expect("new session");
    let (question, spend) = core
        .chat()
        .record_user_message(&RecordRef::Id(session.id), "tell me", key)
        .await
        .expect("pay for a message");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO chat_messages (session_id, user_id, role, content, status, spend_id,
                                    stream_owner, parent_id, created_at, updated_at)
         VALUES (?, ?, 'assistant', '', 'streaming', ?, ?, ?, '2026-03-10T09:00:00Z', '2026-03-10T09:00:00Z')
         RETURNING id",
    )
    .bind(session.id)
    .bind(core.user_id())
    .bind(spend.id)
    .bind(DEAD_OWNER)
    .bind(question.id)
    .fetch_one(core.db().pool())
    .await
    .expect("insert a stranded reply");
    // The reply ends the conversation, as a send leaves it.
    sqlx::query("UPDATE chat_sessions SET active_leaf_id = ? WHERE id = ?")
        .bind(id)
        .bind(session.id)
        .execute(core.db().pool())
        .await
        .expect("make it the active leaf");
    (session.id, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_journal_at_start_up_interrupts_only_its_reply_and_the_core_opens() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let (unreadable_session, unreadable) = stranded_reply(&core, "k-unreadable").await;
    let (garbled_session, garbled) = stranded_reply(&core, "k-garbled").await;
    let (fine_session, fine) = stranded_reply(&core, "k-fine").await;
    assert_eq!(core.balance().await.unwrap().remaining, 91);
    core.close().await;
    drop(core);
    let streams = env.data_dir().join("streams");
    std::fs::create_dir_all(streams.join(format!("{unreadable}.reply"))).unwrap();
    let mut bytes = b"Once \xFF upon".to_vec();
    bytes.extend_from_slice(" a time \u{20ac}".as_bytes());
    bytes.extend_from_slice(&"\u{20ac}".as_bytes()[..2]); // cut by the crash
    std::fs::write(streams.join(format!("{garbled}.reply")), bytes).unwrap();
    std::fs::write(streams.join(format!("{fine}.reply")), "All good").unwrap();

    let core = env.try_open().await.expect("the core opens");
    let reply = messages(&core, unreadable_session).await.pop().unwrap();
    assert_eq!(
        (reply.id, reply.status),
        (unreadable, MessageStatus::Interrupted)
    );
    assert_eq!(reply.content, "");
    assert!(reply
        .error
        .as_deref()
        .unwrap_or("")
        .contains("could not be read"));
    let reply = messages(&core, garbled_session).await.pop().unwrap();
    assert_eq!(
        (reply.id, reply.status),
        (garbled, MessageStatus::Interrupted)
    );
    assert_eq!(reply.content, "Once \u{FFFD} upon a time \u{20ac}");
    let reply = messages(&core, fine_session).await.pop().unwrap();
    assert_eq!((reply.id, reply.status), (fine, MessageStatus::Interrupted));
    assert_eq!(reply.content, "All good");
    // Nothing readable was delivered: that one send is refunded; the two
    // replies with text are kept and charged.
    assert_eq!(core.balance().await.unwrap().remaining, 94);
    assert_eq!(rows_of_kind(&core, EntryKind::Refund).await.len(), 1);
    verify(&core).await;
    core.close().await;
    drop(core);
    // The directory is still there (it is not ours to delete): starting
    // again still works and changes nothing.
    let core = env.try_open().await.expect("the core opens again");
    assert_eq!(core.balance().await.unwrap().remaining, 94);
    verify(&core).await;
}

/// A reply that recovery ended while its writer still ran (the writer was
/// judged gone, e.g. a server instance whose heartbeat stalled) stays as
/// recovery left it: the writer's end does not overwrite it with text that
/// recovery neither kept nor charged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_recovery_ended_is_not_overwritten_by_its_late_writer() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock(20).await;
    use_mock_model(&core, &mock.base_url(), "o3-mini-slow");
    let session = core.chat().create_session(None).await.unwrap();
    let (reply_id, _) = next_reply_journal(&env, &core).await;
    let recover = async {
        // Once the reply streams, end it as recovery would.
        loop {
            let ended = sqlx::query(
                "UPDATE chat_messages SET status = 'interrupted', content = 'as recovered',
                        stream_owner = NULL
                  WHERE id = ? AND status = 'streaming'",
            )
            .bind(reply_id)
            .execute(core.db().pool())
            .await
            .unwrap();
            if ended.rows_affected() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    let (sent, ()) = tokio::join!(send(&core, session.id, "go slowly"), recover);

    let err = sent.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound, "{err}");
    let reply = messages(&core, session.id).await.pop().unwrap();
    assert_eq!(reply.id, reply_id);
    assert_eq!(
        (reply.status, reply.content.as_str()),
        (MessageStatus::Interrupted, "as recovered")
    );
}
