//! Message branches in local mode, end to end over the mock Azure server:
//! editing a sent message and sending it again, or regenerating a reply,
//! adds a sibling (nothing is overwritten); the model is sent the active
//! path only; switching branch changes what the next send sees; search,
//! export and the message count follow the active path; each send is
//! charged once; and a linear history from before branches migrates
//! unchanged.

use banter_core::chat::{ChatMessage, ExportFormat, SendOutcome, SendRequest, EXPORT_FORMAT};
use banter_core::ids::RecordRef;
use banter_core::ledger::EntryKind;
use banter_core::{Core, Error, ErrorCode};
use banter_mocks::{MockConfig, MockServer};
use banter_tests::{migrate_before, new_raw_db, rows_of_kind, use_mock_model, Env};
use serde_json::Value;

struct Chat {
    _env: Env,
    core: Core,
    mock: MockServer,
}

async fn chat() -> Chat {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(MockConfig::default())
        .await
        .expect("start mock");
    use_mock_model(&core, &mock.base_url(), "o3-mini");
    Chat {
        _env: env,
        core,
        mock,
    }
}

impl Chat {
    async fn send_as(
        &self,
        session: Option<i64>,
        text: &str,
        edit_of: Option<i64>,
        key: Option<&str>,
    ) -> Result<SendOutcome, Error> {
        self.core
            .chat_engine()
            .send(SendRequest {
                session: session.map(RecordRef::Id),
                content: text.into(),
                include_context: false,
                idempotency_key: key.map(str::to_string),
                edit_of,
                attachments: Vec::new(),
            })
            .await
    }

    async fn send(&self, session: Option<i64>, text: &str) -> SendOutcome {
        self.send_as(session, text, None, None).await.expect("send")
    }

    async fn edit(&self, session: i64, message: i64, text: &str) -> SendOutcome {
        self.send_as(Some(session), text, Some(message), None)
            .await
            .expect("edit and send")
    }

    /// The active path as shown: (role, text) of each message.
    async fn shown(&self, session: i64) -> Vec<String> {
        self.page(session)
            .await
            .messages
            .iter()
            .map(|m| m.content.clone())
            .collect()
    }

    async fn page(&self, session: i64) -> banter_core::chat::MessagePage {
        self.core
            .chat()
            .list_messages(&RecordRef::Id(session), None, None)
            .await
            .expect("messages")
    }

    /// What the model was last sent, after the developer prompt.
    fn last_prompt(&self) -> Vec<String> {
        let request = self.mock.requests().last().cloned().expect("a request");
        request.body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .skip(1)
            .map(|m| m["content"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    async fn balance(&self) -> i64 {
        let balance = self.core.balance().await.expect("balance");
        self.core
            .ledger()
            .verify(self.core.user_id())
            .await
            .expect("the ledger adds up");
        balance.remaining
    }

    async fn session(&self, id: i64) -> banter_core::chat::ChatSession {
        self.core
            .chat()
            .get_session(&RecordRef::Id(id))
            .await
            .expect("session")
    }
}

fn reply(text: &str) -> String {
    format!("Mock reply to: {text}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_sent_message_adds_a_sibling_and_the_model_sees_only_the_active_path() {
    let chat = chat().await;
    let first = chat.send(None, "plan a trip").await;
    let session = first.session.id;
    let second = chat.send(Some(session), "to Lisbon").await;

    let edited = chat
        .edit(session, second.user_message.id, "to Porto instead")
        .await;
    // A sibling of the edited message, after the same reply; its reply
    // follows it.
    assert_ne!(edited.user_message.id, second.user_message.id);
    assert_eq!(edited.user_message.parent_id, Some(first.reply.id));
    assert_eq!(edited.reply.parent_id, Some(edited.user_message.id));
    // The model was sent the path up to the edited message's parent, then
    // the new version: never the old version or its reply.
    assert_eq!(
        chat.last_prompt(),
        ["plan a trip", &reply("plan a trip"), "to Porto instead"]
    );
    // The session shows the new path; the old one is kept as a branch.
    assert_eq!(
        chat.shown(session).await,
        [
            "plan a trip",
            &reply("plan a trip"),
            "to Porto instead",
            &reply("to Porto instead")
        ]
    );
    let page = chat.page(session).await;
    assert_eq!(page.branches.len(), 1, "{:?}", page.branches);
    assert_eq!(page.branches[0].message_id, edited.user_message.id);
    assert_eq!(
        page.branches[0].versions,
        [second.user_message.id, edited.user_message.id]
    );
    let (_, tree) = chat
        .core
        .chat()
        .message_tree(&RecordRef::Id(session))
        .await
        .unwrap();
    assert_eq!(tree.len(), 6, "nothing overwritten");
    let s = chat.session(session).await;
    assert_eq!(s.message_count, 4, "the active path's messages");
    assert_eq!(s.active_leaf_id, Some(edited.reply.id));
    // Three sends, each charged once.
    assert_eq!(chat.balance().await, 91);
    assert_eq!(rows_of_kind(&chat.core, EntryKind::Spend).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerating_keeps_the_old_reply_as_a_sibling_and_switching_shows_it_again() {
    let chat = chat().await;
    let first = chat.send(None, "tell me a joke").await;
    let session = first.session.id;
    let again = chat
        .core
        .chat_engine()
        .regenerate(&RecordRef::Id(session), false)
        .await
        .expect("regenerate");
    assert_eq!(again.reply.parent_id, Some(first.user_message.id));
    assert_eq!(again.user_message.id, first.user_message.id);
    let page = chat.page(session).await;
    let ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [first.user_message.id, again.reply.id]);
    assert_eq!(page.branches[0].versions, [first.reply.id, again.reply.id]);

    // Back to the first reply: the session shows it and counts two.
    let switched = chat
        .core
        .chat()
        .switch_branch(&RecordRef::Id(session), first.reply.id)
        .await
        .expect("switch");
    assert_eq!(switched.active_leaf_id, Some(first.reply.id));
    assert_eq!(switched.message_count, 2);
    let ids: Vec<i64> = chat
        .page(session)
        .await
        .messages
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, [first.user_message.id, first.reply.id]);
    // A send and a regeneration, each charged once.
    assert_eq!(chat.balance().await, 94);
    assert_eq!(rows_of_kind(&chat.core, EntryKind::Spend).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_branch_changes_what_the_next_send_sees() {
    let chat = chat().await;
    let first = chat.send(None, "pick a colour").await;
    let session = first.session.id;
    let blue = chat.send(Some(session), "blue").await;
    let green = chat.edit(session, blue.user_message.id, "green").await;

    // On the "green" branch the next send follows it.
    chat.send(Some(session), "why?").await;
    assert_eq!(
        chat.last_prompt(),
        [
            "pick a colour",
            &reply("pick a colour"),
            "green",
            &reply("green"),
            "why?"
        ]
    );

    // Switching to the "blue" version: the conversation ends at its reply,
    // and the next send follows that.
    let switched = chat
        .core
        .chat()
        .switch_branch(&RecordRef::Id(session), blue.user_message.id)
        .await
        .expect("switch");
    assert_eq!(switched.active_leaf_id, Some(blue.reply.id));
    let next = chat.send(Some(session), "really?").await;
    assert_eq!(next.user_message.parent_id, Some(blue.reply.id));
    assert_eq!(
        chat.last_prompt(),
        [
            "pick a colour",
            &reply("pick a colour"),
            "blue",
            &reply("blue"),
            "really?"
        ]
    );
    // Switching back to "green" lands on the newest message after it.
    let back = chat
        .core
        .chat()
        .switch_branch(&RecordRef::Id(session), green.user_message.id)
        .await
        .expect("switch back");
    assert_eq!(back.message_count, 6);
    assert_eq!(
        chat.shown(session).await.last().map(String::as_str),
        Some(reply("why?").as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_is_the_last_ten_of_the_active_path() {
    let chat = chat().await;
    let first = chat.send(None, "m1").await;
    let session = first.session.id;
    let mut last = first;
    for i in 2..=6 {
        last = chat.send(Some(session), &format!("m{i}")).await;
    }
    // Editing m6: the path before it is m1..r5 (10 messages), all sent.
    chat.edit(session, last.user_message.id, "m6 edited").await;
    let prompt = chat.last_prompt();
    assert_eq!(prompt.len(), 11, "{prompt:?}");
    assert_eq!(prompt[0], "m1");
    assert_eq!(prompt[10], "m6 edited");
    // One more on the edited branch: the ten before it leave m1 out, and
    // the old m6 and its reply are never among them.
    chat.send(Some(session), "m7").await;
    let prompt = chat.last_prompt();
    assert_eq!(prompt.len(), 11, "{prompt:?}");
    assert_eq!(prompt[0], "m2");
    assert!(!prompt.iter().any(|t| t == "m6"), "{prompt:?}");
    assert_eq!(prompt[8], "m6 edited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_export_follow_the_active_path_and_json_carries_the_tree() {
    let chat = chat().await;
    let first = chat.send(None, "recipe for pancakes").await;
    let session = first.session.id;
    let edited = chat
        .edit(session, first.user_message.id, "recipe for waffles")
        .await;
    // The first message edited: both versions start a path.
    assert_eq!(edited.user_message.parent_id, None);

    let hits = chat.core.chat().search("pancakes", None).await.unwrap();
    assert!(hits.is_empty(), "another version is not found: {hits:?}");
    let hits = chat.core.chat().search("waffles", None).await.unwrap();
    assert_eq!(hits.len(), 2, "the question and its reply: {hits:?}");

    let md = chat
        .core
        .chat()
        .export(&RecordRef::Id(session), ExportFormat::Markdown)
        .await
        .unwrap()
        .content;
    assert!(md.contains("recipe for waffles"), "{md}");
    // Only the title (named by the first message ever sent) says pancakes.
    assert_eq!(md.matches("pancakes").count(), 1, "{md}");
    assert!(md.contains("(version 2 of 2)"), "{md}");
    assert!(md.contains("· 2 messages ·"), "{md}");

    let json = chat
        .core
        .chat()
        .export(&RecordRef::Id(session), ExportFormat::Json)
        .await
        .unwrap()
        .content;
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["format"], EXPORT_FORMAT);
    assert_eq!(doc["session"]["activeLeafId"], edited.reply.id);
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    let of = |id: i64| {
        messages
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("message {id} in {json}"))
    };
    assert_eq!(of(first.reply.id)["parentId"], first.user_message.id);
    assert_eq!(of(first.reply.id)["active"], false);
    assert_eq!(of(edited.user_message.id)["parentId"], Value::Null);
    assert_eq!(of(edited.user_message.id)["active"], true);
    assert_eq!(of(edited.reply.id)["active"], true);

    // After switching back, search finds the first version again.
    chat.core
        .chat()
        .switch_branch(&RecordRef::Id(session), first.user_message.id)
        .await
        .unwrap();
    let hits = chat.core.chat().search("pancakes", None).await.unwrap();
    assert_eq!(hits.len(), 2, "{hits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_charged_once_per_key_and_its_key_is_bound_to_the_edited_message() {
    let chat = chat().await;
    let first = chat.send(None, "hello").await;
    let session = first.session.id;
    let second = chat.send(Some(session), "how are you").await;
    let edit = |target: i64, key: &'static str| {
        chat.send_as(Some(session), "how is it going", Some(target), Some(key))
    };
    let once = edit(second.user_message.id, "edit-1").await.unwrap();
    let again = edit(second.user_message.id, "edit-1").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.user_message.id, once.user_message.id);
    assert_eq!(chat.balance().await, 91);
    // The same key for another message, or as a plain send: refused,
    // nothing charged.
    let err = edit(first.user_message.id, "edit-1").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::IdempotencyConflict);
    let plain = chat
        .send_as(Some(session), "how is it going", None, Some("edit-1"))
        .await
        .unwrap_err();
    assert_eq!(plain.code(), ErrorCode::IdempotencyConflict);
    assert_eq!(chat.balance().await, 91);
    assert_eq!(rows_of_kind(&chat.core, EntryKind::Spend).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_users_own_messages_of_that_session_can_be_edited() {
    let chat = chat().await;
    let first = chat.send(None, "hello").await;
    let other = chat.send(None, "elsewhere").await;
    let session = first.session.id;
    let reply = chat
        .send_as(Some(session), "x", Some(first.reply.id), None)
        .await
        .unwrap_err();
    assert_eq!(reply.code(), ErrorCode::InvalidInput);
    let elsewhere = chat
        .send_as(Some(session), "x", Some(other.user_message.id), None)
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), ErrorCode::NotFound);
    let missing = chat
        .send_as(Some(session), "x", Some(999_999), None)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
    // Without a session an edit goes to its message's; a message that does
    // not exist starts nothing and charges nothing.
    let sessions = chat.core.chat().list_sessions(None, None).await.unwrap();
    let orphan = chat
        .send_as(None, "x", Some(999_999), None)
        .await
        .unwrap_err();
    assert_eq!(orphan.code(), ErrorCode::NotFound);
    let after = chat.core.chat().list_sessions(None, None).await.unwrap();
    assert_eq!(after.sessions.len(), sessions.sessions.len());
    assert_eq!(chat.balance().await, 94);
    let found = chat
        .send_as(None, "hello again", Some(first.user_message.id), None)
        .await
        .unwrap();
    assert_eq!(found.session.id, session);
    assert_eq!(found.user_message.parent_id, None);
    // Switching to a message of another session is refused too.
    let switch = chat
        .core
        .chat()
        .switch_branch(&RecordRef::Id(session), other.reply.id)
        .await
        .unwrap_err();
    assert_eq!(switch.code(), ErrorCode::NotFound);
    assert_eq!(chat.balance().await, 91);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regeneration_that_fails_shows_the_earlier_reply_again() {
    let chat = chat().await;
    let first = chat.send(None, "tell me").await;
    let session = first.session.id;
    use_mock_model(&chat.core, &chat.mock.base_url(), "o3-mini-not-found");
    let err = chat
        .core
        .chat_engine()
        .regenerate(&RecordRef::Id(session), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DeploymentNotFound);
    let s = chat.session(session).await;
    assert_eq!(s.active_leaf_id, Some(first.reply.id));
    assert_eq!(chat.shown(session).await, ["tell me", &reply("tell me")]);
    assert_eq!(chat.balance().await, 97, "refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linear_history_from_before_branches_migrates_unchanged() {
    let env = Env::new("2026-03-10T09:00:00Z");
    {
        let mut conn = new_raw_db(&env.db_path()).await;
        // The schema before `migrations/0010_message_branches.sql`.
        migrate_before(&mut conn, 10).await;
        let now = "2026-03-10T08:00:00Z";
        sqlx::query("INSERT INTO users (id, display_name, created_at) VALUES ('u1', 'Old', ?1)")
            .bind(now)
            .execute(&mut conn)
            .await
            .unwrap();
        for (id, display) in [(1, "CH-000001"), (2, "CH-000002")] {
            sqlx::query(
                "INSERT INTO chat_sessions (id, user_id, display_id, title, created_at, updated_at)
                 VALUES (?1, 'u1', ?2, 'Old chat', ?3, ?3)",
            )
            .bind(id)
            .bind(display)
            .bind(now)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        // Interleaved sessions, and a failed reply kept in the history.
        for (session, role, text, status) in [
            (1, "user", "first question", "complete"),
            (2, "user", "other chat", "complete"),
            (1, "assistant", "first answer", "complete"),
            (1, "user", "second question", "complete"),
            (1, "assistant", "", "error"),
            (2, "assistant", "other answer", "complete"),
            (1, "assistant", "second answer", "complete"),
        ] {
            sqlx::query(
                "INSERT INTO chat_messages (session_id, user_id, role, content, status, created_at, updated_at)
                 VALUES (?1, 'u1', ?2, ?3, ?4, ?5, ?5)",
            )
            .bind(session)
            .bind(role)
            .bind(text)
            .bind(status)
            .bind(now)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        use sqlx::Connection;
        conn.close().await.unwrap();
    }

    let core = env.open().await;
    assert_eq!(
        core.db().migration().applied.first(),
        Some(&10),
        "branches applied"
    );
    let chat = core.chat();
    let page = chat
        .list_messages(&RecordRef::Id(1), None, None)
        .await
        .unwrap();
    let texts: Vec<&str> = page.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        texts,
        [
            "first question",
            "first answer",
            "second question",
            "",
            "second answer"
        ]
    );
    // Each message follows the one before it in its session.
    let parents: Vec<Option<i64>> = page.messages.iter().map(|m| m.parent_id).collect();
    let ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(parents[0], None);
    for i in 1..ids.len() {
        assert_eq!(parents[i], Some(ids[i - 1]));
    }
    assert!(page.branches.is_empty());
    let session = chat.get_session(&RecordRef::Id(1)).await.unwrap();
    assert_eq!(session.message_count, 5);
    assert_eq!(session.active_leaf_id, ids.last().copied());
    let other = chat.get_session(&RecordRef::Id(2)).await.unwrap();
    assert_eq!(other.message_count, 2);
    let (_, tree) = chat.message_tree(&RecordRef::Id(2)).await.unwrap();
    let other_texts: Vec<&ChatMessage> = tree.iter().collect();
    assert_eq!(other_texts.len(), 2);
    assert_eq!(other_texts[1].parent_id, Some(other_texts[0].id));
    core.close().await;
}
