//! Full-text search over messages (FTS5) and exporting a session, over real
//! replies from the mock Azure server.

use banter_core::chat::{ExportFormat, MessageStatus, MATCH_END, MATCH_START};
use banter_core::ids::RecordRef;
use banter_core::Core;
use banter_core::ErrorCode;
use banter_mocks::{MockConfig, MockServer};
use banter_tests::Env;

async fn profile() -> (Env, Core, MockServer) {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(MockConfig::default())
        .await
        .expect("start mock");
    banter_tests::use_mock_model(&core, &mock.base_url(), "o3-mini");
    (env, core, mock)
}

async fn send(core: &Core, session: i64, text: &str) {
    banter_tests::send_text(core, session, text)
        .await
        .expect("send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_in_every_session_newest_first_with_marked_snippets() {
    let (_env, core, _mock) = profile().await;
    let trip = core.chat().create_session(None).await.unwrap();
    let code = core.chat().create_session(None).await.unwrap();
    send(&core, trip.id, "Plan a weekend in Lisbon with a café crawl").await;
    send(&core, code.id, "How do I sort a Vec in Rust?").await;
    send(&core, trip.id, "Which Lisbon museums open on Monday?").await;

    let hits = core.chat().search("lisbon", None).await.unwrap();
    // Each user message and each reply (the mock echoes the message) matches.
    assert_eq!(hits.len(), 4, "{hits:?}");
    assert!(hits.iter().all(|h| h.session_id == trip.id));
    assert!(hits.windows(2).all(|w| w[0].message_id > w[1].message_id));
    assert_eq!(hits[0].session_display_id, trip.display_id);
    let marked = format!("{MATCH_START}Lisbon{MATCH_END}");
    assert!(hits.iter().all(|h| h.snippet.contains(&marked)), "{hits:?}");

    // Prefix of the last word, any case, accents folded; all words required.
    assert_eq!(core.chat().search("RUS", None).await.unwrap().len(), 2);
    assert_eq!(core.chat().search("cafe", None).await.unwrap().len(), 2);
    assert_eq!(
        core.chat()
            .search("lisbon monday", None)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(core
        .chat()
        .search("lisbon rust", None)
        .await
        .unwrap()
        .is_empty());
    // FTS5 syntax in the text is just text, never a syntax error.
    for odd in [
        "\"lisbon",
        "NEAR(lisbon)",
        "lisbon*",
        "-lisbon",
        "lisbon OR",
    ] {
        let hits = core.chat().search(odd, None).await;
        assert!(hits.is_ok(), "{odd}: {hits:?}");
    }
    for empty in ["", "   ", "\"*()"] {
        let err = core.chat().search(empty, None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{empty:?}");
    }
    assert_eq!(
        core.chat().search("lisbon", Some(1)).await.unwrap().len(),
        1
    );

    // Deleting a session removes its messages from the index.
    core.chat()
        .delete_session(&RecordRef::Id(trip.id))
        .await
        .unwrap();
    assert!(core.chat().search("lisbon", None).await.unwrap().is_empty());
    assert_eq!(core.chat().search("vec", None).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_reply_is_searchable() {
    let (_env, core, _mock) = profile().await;
    let session = core.chat().create_session(None).await.unwrap();
    send(&core, session.id, "zanzibar").await;
    let hits = core.chat().search("zanzibar", None).await.unwrap();
    // The reply's text was written when it finished, and indexed then.
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0].role, banter_core::chat::Role::Assistant);
    assert!(hits[0].snippet.starts_with("Mock reply to:"), "{hits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_exports_as_markdown_and_json_with_every_message() {
    let (_env, core, _mock) = profile().await;
    let session = core.chat().create_session(None).await.unwrap();
    send(&core, session.id, "Trip to Lisbon: what to pack?").await;
    send(&core, session.id, "And for rain?").await;

    let md = core
        .chat()
        .export(&RecordRef::Id(session.id), ExportFormat::Markdown)
        .await
        .unwrap();
    assert_eq!(md.file_name, "CH-000001-trip-to-lisbon-what-to-pack.md");
    assert!(
        md.content.starts_with("# Trip to Lisbon: what to pack?\n"),
        "{}",
        md.content
    );
    assert!(md.content.contains("4 messages"));
    let you = md.content.find("## You").unwrap();
    let reply = md.content.find("## Assistant").unwrap();
    let rain = md.content.find("And for rain?").unwrap();
    assert!(you < reply && reply < rain, "{}", md.content);
    assert!(md
        .content
        .contains("Mock reply to: Trip to Lisbon: what to pack?"));

    let json = core
        .chat()
        .export(&RecordRef::Id(session.id), ExportFormat::Json)
        .await
        .unwrap();
    assert!(json.file_name.ends_with(".json"));
    let doc: serde_json::Value = serde_json::from_str(&json.content).unwrap();
    assert_eq!(doc["format"], "banter-session/2");
    assert_eq!(doc["session"]["displayId"], "CH-000001");
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[3]["role"], "assistant");
    assert_eq!(messages[3]["status"], "complete");
    let status: MessageStatus = serde_json::from_value(messages[1]["status"].clone()).unwrap();
    assert_eq!(status, MessageStatus::Complete);

    let missing = core
        .chat()
        .export(&RecordRef::Id(999), ExportFormat::Json)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_session_exports_across_pages() {
    let (_env, core, _mock) = profile().await;
    let session = core.chat().create_session(Some("Long")).await.unwrap();
    banter_tests::purchase(&core, 1000, "top-up").await;
    for i in 0..110 {
        send(&core, session.id, &format!("message number {i}")).await;
    }
    let json = core
        .chat()
        .export(&RecordRef::Id(session.id), ExportFormat::Json)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json.content).unwrap();
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 220);
    assert_eq!(messages[0]["content"], "message number 0");
    assert_eq!(messages[218]["content"], "message number 109");
    let ids: Vec<i64> = messages.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "oldest first, no repeats"
    );
}
