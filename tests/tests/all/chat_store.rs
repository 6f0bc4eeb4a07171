//! The chat store: display ids in order and never reused, sessions listed by
//! recent activity with a cursor that pages without gaps or duplicates,
//! titles from the first message unless renamed, message pages that walk back
//! to the start in chronological order, message counts, and deletes that take
//! the messages but leave the ledger alone.

use banter_core::chat::{ChatSession, Role};
use banter_core::ids::RecordRef;
use banter_core::ledger::EntryKind;
use banter_core::Core;
use banter_core::ErrorCode;
use banter_tests::{assert_ledger, at, count_where, ledger_rows, raw_conn, Env};
use chrono::Duration;

async fn say(core: &Core, session: &ChatSession, text: &str, key: &str) -> i64 {
    let (message, _) = core
        .chat()
        .record_user_message(&RecordRef::Id(session.id), text, key)
        .await
        .expect("record a chat message");
    message.id
}

/// Walks every page of sessions; returns the display ids per page.
async fn session_pages(core: &Core, limit: u32) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = core
            .chat()
            .list_sessions(cursor.as_deref(), Some(limit))
            .await
            .expect("list a page of sessions");
        pages.push(page.sessions.iter().map(|s| s.display_id.clone()).collect());
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
        assert!(pages.len() <= 10, "pagination does not end");
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_get_sequential_display_ids_and_page_by_recent_activity() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    for i in 1..=7 {
        let s = core.chat().create_session(None).await.unwrap();
        assert_eq!(s.display_id, format!("CH-00000{i}"));
        assert_eq!((s.title.clone(), s.message_count), (None, 0));
        env.clock.advance(Duration::minutes(1));
    }
    assert_eq!(
        session_pages(&core, 3).await,
        vec![
            ids(&["CH-000007", "CH-000006", "CH-000005"]),
            ids(&["CH-000004", "CH-000003", "CH-000002"]),
            ids(&["CH-000001"]),
        ]
    );

    // A message moves its session to the top; a rename does too.
    let two = core
        .chat()
        .get_session(&RecordRef::Display("CH-000002".into()))
        .await
        .unwrap();
    say(&core, &two, "bump", "bump-2").await;
    env.clock.advance(Duration::minutes(1));
    core.chat()
        .rename_session(&RecordRef::Display("CH-000005".into()), "Renamed")
        .await
        .unwrap();
    assert_eq!(
        session_pages(&core, 3).await,
        vec![
            ids(&["CH-000005", "CH-000002", "CH-000007"]),
            ids(&["CH-000006", "CH-000004", "CH-000003"]),
            ids(&["CH-000001"]),
        ]
    );
    let first = core.chat().list_sessions(None, Some(1)).await.unwrap();
    assert_eq!(first.sessions[0].updated_at, at("2026-03-10T09:08:00Z"));

    // Deleted ids are never handed out again.
    core.chat()
        .delete_session(&RecordRef::Display("CH-000007".into()))
        .await
        .unwrap();
    let next = core.chat().create_session(None).await.unwrap();
    assert_eq!(next.display_id, "CH-000008");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_created_in_the_same_instant_still_page_without_duplicates() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    for _ in 0..7 {
        core.chat().create_session(None).await.unwrap();
    }
    let pages = session_pages(&core, 3).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    let flat: Vec<String> = pages.concat();
    assert_eq!(
        flat,
        ids(&[
            "CH-000007",
            "CH-000006",
            "CH-000005",
            "CH-000004",
            "CH-000003",
            "CH-000002",
            "CH-000001"
        ])
    );
    // An exact multiple of the page size ends without an empty extra page.
    core.chat().create_session(None).await.unwrap();
    core.chat().create_session(None).await.unwrap();
    let pages = session_pages(&core, 3).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 3]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_first_message_titles_a_session_and_a_rename_sticks() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let chat = core.chat();
    let s = chat.create_session(None).await.unwrap();
    let r = RecordRef::Id(s.id);
    say(&core, &s, "\n  How do   I sort a Vec?\nsecond line", "m1").await;
    assert_eq!(
        chat.get_session(&r).await.unwrap().title.as_deref(),
        Some("How do I sort a Vec?")
    );
    say(&core, &s, "A later message", "m2").await;
    assert_eq!(
        chat.get_session(&r).await.unwrap().title.as_deref(),
        Some("How do I sort a Vec?"),
        "only the first message names the session"
    );

    let renamed = chat
        .rename_session(&RecordRef::Display(s.display_id.clone()), "  Sorting  ")
        .await
        .unwrap();
    assert_eq!(renamed.title.as_deref(), Some("Sorting"));
    say(&core, &s, "Yet another message", "m3").await;
    assert_eq!(
        chat.get_session(&r).await.unwrap().title.as_deref(),
        Some("Sorting")
    );

    // A session created with a title keeps it through its first message.
    let titled = chat.create_session(Some("Given")).await.unwrap();
    say(&core, &titled, "first words", "t1").await;
    let titled = chat.get_session(&RecordRef::Id(titled.id)).await.unwrap();
    assert_eq!(titled.title.as_deref(), Some("Given"));
    // Titling from a message costs nothing extra: 4 messages, 12 credits.
    assert_ledger(&core, 5, 88).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn message_pages_walk_back_to_the_start_in_chronological_order() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let s = core.chat().create_session(None).await.unwrap();
    let other = core.chat().create_session(None).await.unwrap();
    let mut sent = Vec::new();
    for i in 0..7 {
        sent.push(say(&core, &s, &format!("message {i}"), &format!("k{i}")).await);
        // Interleave another session's messages: they must not leak in.
        say(&core, &other, "elsewhere", &format!("o{i}")).await;
        env.clock.advance(Duration::seconds(10));
        let count = core
            .chat()
            .get_session(&RecordRef::Id(s.id))
            .await
            .unwrap()
            .message_count;
        assert_eq!(count, i + 1);
    }

    let r = RecordRef::Id(s.id);
    let mut walked: Vec<Vec<i64>> = Vec::new();
    let mut before = None;
    loop {
        let page = core
            .chat()
            .list_messages(&r, before, Some(3))
            .await
            .unwrap();
        assert!(page
            .messages
            .iter()
            .all(|m| m.session_id == s.id && m.role == Role::User));
        let page_ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
        let mut sorted = page_ids.clone();
        sorted.sort_unstable();
        assert_eq!(page_ids, sorted, "each page is chronological");
        walked.push(page_ids);
        match page.older_cursor {
            Some(cursor) => before = Some(cursor),
            None => break,
        }
        assert!(walked.len() <= 5, "paging does not end");
    }
    assert_eq!(
        walked,
        vec![
            sent[4..7].to_vec(),
            sent[1..4].to_vec(),
            sent[0..1].to_vec()
        ]
    );
    let all = core.chat().list_messages(&r, None, None).await.unwrap();
    assert_eq!(all.messages.iter().map(|m| m.id).collect::<Vec<_>>(), sent);
    assert_eq!(all.older_cursor, None);
    assert_eq!(all.messages[0].content, "message 0");
    assert_eq!(all.messages[6].content, "message 6");
    assert_eq!(all.messages[6].created_at, at("2026-03-10T09:01:00Z"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_session_removes_its_messages_but_not_its_ledger_rows() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let doomed = core.chat().create_session(None).await.unwrap();
    let kept = core.chat().create_session(None).await.unwrap();
    for i in 0..4 {
        say(&core, &doomed, "to be deleted", &format!("d{i}")).await;
    }
    say(&core, &kept, "stays", "k0").await;

    let deleted = core
        .chat()
        .delete_session(&RecordRef::Display(doomed.display_id.clone()))
        .await
        .unwrap();
    assert_eq!((deleted.id, deleted.message_count), (doomed.id, 4));
    let err = core
        .chat()
        .get_session(&RecordRef::Id(doomed.id))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);

    let mut conn = raw_conn(&env.db_path()).await;
    let sql = "SELECT COUNT(*) FROM chat_messages WHERE session_id = ?";
    assert_eq!(count_where(&mut conn, sql, doomed.id).await, 0);
    assert_eq!(count_where(&mut conn, sql, kept.id).await, 1);

    let spends: Vec<_> = ledger_rows(&core)
        .await
        .into_iter()
        .filter(|e| e.kind == EntryKind::Spend)
        .collect();
    assert_eq!(spends.len(), 5, "the ledger keeps what was paid");
    assert_eq!(
        spends
            .iter()
            .filter(|e| e.reference.as_deref() == Some(doomed.display_id.as_str()))
            .count(),
        4
    );
    assert_eq!(core.balance().await.unwrap().remaining, 85);
    assert_ledger(&core, 6, 85).await;
    let listed = core.chat().list_sessions(None, None).await.unwrap();
    assert_eq!(listed.sessions.len(), 1);
    assert_eq!(listed.sessions[0].id, kept.id);
}
