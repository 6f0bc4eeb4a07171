//! A chat's files stay in the conversation: each later turn's prompt
//! carries the files of the earlier user messages in its history as they
//! were sent (checked in the requests the mock Azure server received):
//! text files as their named blocks, images as image parts to a model that
//! can see and as a note to one that cannot; over the earlier files' budget
//! the oldest are left out with a note. A regeneration's history carries
//! them too; an edit without files keeps the edited message's, an edit with
//! files has exactly those. The history's files are read in one statement,
//! on SQLite and on the server's Postgres, where a follow-up carries them
//! the same way; a history without files reads none.

use banter_core::chat::attachments::{
    ATTACHMENT_TOKEN_BUDGET, HISTORY_ATTACHMENT_TOKEN_BUDGET, IMAGE_TOKEN_ESTIMATE,
};
use banter_core::chat::{Attachment, SendOutcome, SendRequest};
use banter_core::hosted::{HostedHistory, HostedSend};
use banter_core::ids::RecordRef;
use banter_core::providers::{self, ProviderConfig, Secret};
use banter_core::Core;
use banter_mocks::MockServer;
use banter_tests::hosted::{sign_in_core, Chatting};
use banter_tests::{count_rows, mock_azure_config, Env};
use serde_json::{json, Value};

/// The smallest valid PNG (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];
const PNG_DATA_URL: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";
const NOTES: &str = "- buy milk\n- call Ana\n";
/// The block the notes file is shown to the model in.
const NOTES_BLOCK: &str = "Attached file `notes.md`:\n````\n- buy milk\n- call Ana\n\n````";

fn png() -> Attachment {
    Attachment::new("photo.png", PNG.to_vec()).expect("a PNG")
}

fn notes() -> Attachment {
    Attachment::new("notes.md", NOTES.as_bytes().to_vec()).expect("text")
}

struct Chat {
    _env: Env,
    core: Core,
    mock: MockServer,
}

/// A fresh profile whose model is the mock deployment `deployment`,
/// marked vision-capable or not.
async fn chat_with(deployment: &str, vision: bool) -> Chat {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(banter_mocks::MockConfig::default())
        .await
        .expect("start mock");
    let chat = Chat {
        _env: env,
        core,
        mock,
    };
    chat.answer_with(deployment, vision);
    chat
}

impl Chat {
    /// Makes the mock's `deployment` the model (what switching models in
    /// the app does to the chats that follow the default).
    fn answer_with(&self, deployment: &str, vision: bool) {
        let mut config = mock_azure_config(&self.mock.base_url(), deployment, true);
        if let ProviderConfig::Azure(azure) = &mut config {
            azure.vision = vision;
        }
        let provider = providers::build(&config, Some(Secret::new("test-key"))).expect("provider");
        self.core.chat_engine().set_provider(Some(provider));
    }

    async fn send_request(&self, request: SendRequest) -> SendOutcome {
        self.core.chat_engine().send(request).await.expect("sent")
    }

    /// Sends `text` with `attachments`, in `session` (`None`: a new one).
    async fn send(
        &self,
        session: Option<i64>,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> SendOutcome {
        self.send_request(SendRequest {
            session: session.map(RecordRef::Id),
            content: text.to_string(),
            include_context: false,
            idempotency_key: None,
            edit_of: None,
            attachments,
        })
        .await
    }

    /// Sends `text` as another version of user message `edit_of`.
    async fn edit(&self, edit_of: i64, text: &str, attachments: Vec<Attachment>) -> SendOutcome {
        self.send_request(SendRequest {
            session: None,
            content: text.to_string(),
            include_context: false,
            idempotency_key: None,
            edit_of: Some(edit_of),
            attachments,
        })
        .await
    }

    /// The user and assistant messages of the last request the mock got.
    fn last_conversation(&self) -> Vec<Value> {
        conversation(&self.mock)
    }

    /// The names of the files stored with message `message_id`, as its
    /// session's message page lists them.
    async fn files_listed(&self, session: i64, message_id: i64) -> Vec<String> {
        let page = self
            .core
            .chat()
            .list_messages(&RecordRef::Id(session), None, None)
            .await
            .expect("page");
        assert!(page.messages.iter().any(|m| m.id == message_id));
        page.attachments
            .iter()
            .filter(|a| a.message_id == message_id)
            .map(|a| a.name.clone())
            .collect()
    }
}

/// The user and assistant messages of the last request `mock` received
/// (the developer message left out).
fn conversation(mock: &MockServer) -> Vec<Value> {
    let requests = mock.requests();
    let body = &requests.last().expect("a request").body;
    body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "user" || m["role"] == "assistant")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_carries_the_earlier_text_file_and_so_does_a_regeneration() {
    let chat = chat_with("o3-mini", false).await;
    let first = chat.send(None, "here is my list", vec![notes()]).await;
    let session = first.session.id;
    chat.send(Some(session), "what should I buy?", Vec::new())
        .await;

    // The file goes again with the message it came with, as it first did.
    let sent = chat.last_conversation();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(
        sent[0],
        json!({"role": "user", "content": format!("here is my list\n\n{NOTES_BLOCK}")})
    );
    assert_eq!(sent[1]["role"], "assistant");
    assert_eq!(
        sent[2],
        json!({"role": "user", "content": "what should I buy?"})
    );

    // A regenerated reply to the follow-up is asked with the same history.
    chat.core
        .chat_engine()
        .regenerate(&RecordRef::Id(session), false)
        .await
        .expect("regenerated");
    let again = chat.last_conversation();
    assert_eq!(again[0], sent[0]);
    assert_eq!(again[2], sent[2]);
    assert_eq!(chat.mock.requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_image_is_shown_to_a_model_that_sees_and_named_to_one_that_does_not() {
    let chat = chat_with("gpt-4o", true).await;
    let first = chat.send(None, "what is this?", vec![png()]).await;
    let session = first.session.id;
    chat.send(Some(session), "and its colour?", Vec::new())
        .await;
    let sent = chat.last_conversation();
    assert_eq!(
        sent[0],
        json!({"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}
        ]})
    );
    assert_eq!(
        sent[2],
        json!({"role": "user", "content": "and its colour?"})
    );

    // Switched to a model that cannot see (the mock refuses any image
    // part for it, as Azure does): the earlier image is a note, and the
    // send goes on.
    chat.answer_with("o3-mini", false);
    let blind = chat
        .send(Some(session), "and now, in one word?", Vec::new())
        .await;
    assert!(!blind.reply.content.is_empty());
    let sent = chat.last_conversation();
    assert_eq!(
        sent[0],
        json!({"role": "user", "content":
            "what is this?\n\n[image photo.png not shown: this model cannot see images]"})
    );
    assert!(sent.iter().all(|m| m["content"].is_string()), "{sent:?}");
    assert_eq!(chat.core.balance().await.unwrap().remaining, 91);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_files_over_their_budget_are_left_out_oldest_first() {
    let chat = chat_with("o3-mini", false).await;
    // Four messages with a file of a little under a third of the earlier
    // files' budget each: three fit it, four do not.
    let words = usize::try_from(HISTORY_ATTACHMENT_TOKEN_BUDGET / 3).unwrap() - 200;
    let file = |n: usize| {
        let text = format!("file {n}: {}", "token ".repeat(words));
        Attachment::new(&format!("part{n}.txt"), text.into_bytes()).expect("text")
    };
    let files: Vec<_> = (1..=4).map(file).collect();
    let tokens: Vec<i64> = files.iter().map(Attachment::tokens).collect();
    assert!(tokens[1..].iter().sum::<i64>() <= HISTORY_ATTACHMENT_TOKEN_BUDGET);
    assert!(tokens.iter().sum::<i64>() > HISTORY_ATTACHMENT_TOKEN_BUDGET);
    let mut session = None;
    for (n, file) in files.iter().enumerate() {
        let out = chat
            .send(session, &format!("part {}", n + 1), vec![file.clone()])
            .await;
        session = Some(out.session.id);
    }
    // The new message brings as many tokens of its own as it may: they all
    // go, whatever the earlier files take.
    let own_words = usize::try_from(ATTACHMENT_TOKEN_BUDGET).unwrap() - 300;
    let own = Attachment::new("own.txt", "token ".repeat(own_words).into_bytes()).expect("text");
    assert!(own.tokens() > HISTORY_ATTACHMENT_TOKEN_BUDGET - tokens[1..].iter().sum::<i64>());
    chat.send(session, "all of them?", vec![own.clone()]).await;

    let sent = chat.last_conversation();
    let users: Vec<&str> = sent
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(users.len(), 5);
    assert_eq!(
        users[0],
        "part 1\n\n[file part1.txt left out: over the context budget]"
    );
    for (n, user) in users.iter().enumerate().take(4).skip(1) {
        assert!(
            user.starts_with(&format!(
                "part {}\n\nAttached file `part{}.txt`:\n````\nfile {}: token",
                n + 1,
                n + 1,
                n + 1
            )),
            "{n}"
        );
        assert_eq!(banter_core::tokens::count(user), {
            let alone = banter_core::tokens::count(&format!("part {}\n\n", n + 1));
            alone + tokens[n]
        });
    }
    assert!(users[4].starts_with("all of them?\n\nAttached file `own.txt`:"));
    assert!(users[4].ends_with("token \n````"), "the whole file goes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_image_counts_against_the_budget_with_its_estimate() {
    let chat = chat_with("gpt-4o", true).await;
    let first = chat.send(None, "a picture", vec![png()]).await;
    let session = first.session.id;
    // A later file that leaves less room than one image is counted as.
    let mut words = usize::try_from(HISTORY_ATTACHMENT_TOKEN_BUDGET).unwrap();
    let big = loop {
        let file = Attachment::new("big.txt", "token ".repeat(words).into_bytes()).expect("text");
        let room = HISTORY_ATTACHMENT_TOKEN_BUDGET - file.tokens();
        if (0..IMAGE_TOKEN_ESTIMATE).contains(&room) {
            break file;
        }
        words -= 100;
    };
    chat.send(Some(session), "a long text", vec![big]).await;
    chat.send(Some(session), "both?", Vec::new()).await;
    let sent = chat.last_conversation();
    assert_eq!(
        sent[0],
        json!({"role": "user", "content":
            "a picture\n\n[image photo.png left out: over the context budget]"})
    );
    assert!(sent[2]["content"]
        .as_str()
        .expect("text")
        .starts_with("a long text\n\nAttached file `big.txt`:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_without_files_keeps_the_edited_messages_and_one_with_files_has_its_own() {
    let chat = chat_with("o3-mini", false).await;
    let first = chat.send(None, "summarise this", vec![notes()]).await;
    let session = first.session.id;

    // The text edited, nothing attached: the new version has the file,
    // stored as its own, and the model is sent it.
    let edited = chat
        .edit(first.user_message.id, "summarise this briefly", Vec::new())
        .await;
    assert_ne!(edited.user_message.id, first.user_message.id);
    assert_eq!(edited.user_message.parent_id, None);
    assert_eq!(
        chat.files_listed(session, edited.user_message.id).await,
        ["notes.md"]
    );
    assert_eq!(
        chat.last_conversation(),
        [json!({"role": "user", "content": format!("summarise this briefly\n\n{NOTES_BLOCK}")})]
    );
    // Its tokens count the file, as the first version's did.
    let alone = banter_core::tokens::count("summarise this briefly");
    assert_eq!(edited.user_message.tokens, Some(alone + notes().tokens()));
    let copy = chat
        .core
        .chat()
        .attachments_of_messages(&[edited.user_message.id])
        .await
        .expect("read");
    assert_eq!(copy, [(edited.user_message.id, notes())]);

    // An edit that brings a file has exactly that one.
    let other = Attachment::new("other.txt", b"something else".to_vec()).expect("text");
    let replaced = chat
        .edit(
            edited.user_message.id,
            "summarise that",
            vec![other.clone()],
        )
        .await;
    assert_eq!(
        chat.files_listed(session, replaced.user_message.id).await,
        ["other.txt"]
    );
    let sent = chat.last_conversation();
    assert_eq!(sent.len(), 1);
    let content = sent[0]["content"].as_str().expect("text");
    assert!(content.contains("something else"), "{content}");
    assert!(!content.contains("notes.md"), "{content}");
    // Each version keeps its own files.
    assert_eq!(count_rows(&chat.core, "message_attachments").await, 3);
    assert_eq!(chat.core.balance().await.unwrap().remaining, 91);
}

/// After a switch to a model that cannot see, an edit of a message with an
/// image still goes (its text, and the image left on the earlier version),
/// and a retry of a paid send whose image the model now refuses replays
/// the earlier exchange instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_switch_to_a_blind_model_an_edit_goes_without_the_image_and_a_paid_retry_replays() {
    let chat = chat_with("gpt-4o", true).await;
    let keyed = |text: &str, key: &str| SendRequest {
        session: None,
        content: text.to_string(),
        include_context: false,
        idempotency_key: Some(key.to_string()),
        edit_of: None,
        attachments: vec![png()],
    };
    let first = chat.send_request(keyed("what is this?", "paid-once")).await;
    let balance = chat.core.balance().await.unwrap().remaining;

    chat.answer_with("o3-mini", false);
    let again = chat.send_request(keyed("what is this?", "paid-once")).await;
    assert!(again.replayed, "the paid send is replayed");
    assert_eq!(again.reply.id, first.reply.id);
    assert_eq!(chat.core.balance().await.unwrap().remaining, balance);

    let edited = chat
        .edit(first.user_message.id, "what is this, briefly?", Vec::new())
        .await;
    assert!(
        chat.files_listed(first.session.id, edited.user_message.id)
            .await
            .is_empty(),
        "the image stays on the first version"
    );
    assert_eq!(
        chat.last_conversation(),
        [json!({"role": "user", "content": "what is this, briefly?"})]
    );
}

/// The history's files are read by one function, in one statement, for
/// any number of messages (`ChatStore::attachments_of_messages`; the engine
/// calls it once per turn). Counting the statements a turn runs would need
/// sqlx's logging, so the function is tested itself: several messages,
/// with several files, come back from one call, in order, with their bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_files_of_several_messages_come_from_one_call() {
    let chat = chat_with("gpt-4o", true).await;
    let a = Attachment::new("a.txt", b"alpha".to_vec()).expect("text");
    let b = Attachment::new("b.txt", b"beta".to_vec()).expect("text");
    let first = chat.send(None, "one", vec![a.clone(), png()]).await;
    let session = Some(first.session.id);
    let plain = chat.send(session, "two", Vec::new()).await;
    let third = chat.send(session, "three", vec![b.clone()]).await;

    let ids = [
        third.user_message.id,
        plain.user_message.id,
        first.user_message.id,
        first.reply.id,
        third.user_message.id + 1000,
    ];
    let files = chat
        .core
        .chat()
        .attachments_of_messages(&ids)
        .await
        .expect("read");
    assert_eq!(
        files,
        [
            (first.user_message.id, a),
            (first.user_message.id, png()),
            (third.user_message.id, b),
        ]
    );
    assert!(chat
        .core
        .chat()
        .attachments_of_messages(&[])
        .await
        .expect("read")
        .is_empty());
}

/// Makes every read of `message_attachments` through the read pool fail:
/// each of the pool's connections gets a temporary table of that name
/// (SQLite looks in `temp` first), with none of its columns. The writer's
/// connection, where a turn is paid and its history read (files probed),
/// is another one and still sees the real table.
async fn trap_attachment_reads(core: &Core) {
    let pool = core.db().pool();
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.expect("a read connection"));
    }
    for conn in &mut held {
        sqlx::query("CREATE TEMP TABLE message_attachments (trap INTEGER)")
            .execute(&mut **conn)
            .await
            .expect("trap");
    }
}

/// A turn whose history has no files reads none: the history read while
/// paying says which messages have files, and with none no read is made
/// after paying (`ChatStore::attachments_of_messages` takes no connection).
/// Shown with every read of the files through the read pool made to fail:
/// turns in a chat without files go on; the first one whose history has a
/// file does read it, and fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_whose_history_has_no_files_reads_none() {
    let chat = chat_with("o3-mini", false).await;
    trap_attachment_reads(&chat.core).await;
    let first = chat.send(None, "hello", Vec::new()).await;
    let session = Some(first.session.id);
    chat.send(session, "and now?", Vec::new()).await;
    chat.send(session, "once more", Vec::new()).await;
    assert_eq!(chat.last_conversation().len(), 5);
    // A message with files: its own are stored while paying, on the writer.
    chat.send(session, "here is my list", vec![notes()]).await;
    assert_eq!(chat.mock.requests().len(), 4);

    // Now the history has a file: it is read, through the trapped pool.
    let after = chat
        .core
        .chat_engine()
        .send(SendRequest {
            session: session.map(RecordRef::Id),
            content: "what should I buy?".into(),
            include_context: false,
            idempotency_key: None,
            edit_of: None,
            attachments: Vec::new(),
        })
        .await;
    assert!(after.is_err(), "the history's file was not read: {after:?}");
    assert_eq!(chat.mock.requests().len(), 4);
}

async fn device(server: &str) -> (Env, Core, HostedHistory) {
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    sign_in_core(&core, server).await;
    let history = core
        .hosted()
        .history()
        .await
        .expect("settings")
        .expect("signed in");
    (env, core, history)
}

fn hosted_send(
    session: Option<i64>,
    content: &str,
    edit_of: Option<i64>,
    attachments: Vec<Attachment>,
) -> HostedSend {
    HostedSend {
        session: session.map(RecordRef::Id),
        content: content.into(),
        include_context: false,
        idempotency_key: None,
        edit_of,
        attachments,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_the_server_a_follow_up_carries_the_earlier_files_and_an_edit_keeps_them() {
    use banter_server::auth::Caller;
    use banter_server::routes::sessions::chat_for;

    let s = Chatting::start_with(true).await;
    let (_env, _core, history) = device(&s.h.a.url).await;
    let first = history
        .send(
            hosted_send(None, "here is my list", None, vec![notes(), png()]),
            |_| {},
        )
        .await
        .expect("sent");
    let session = first.session.id;
    history
        .send(
            hosted_send(Some(session), "what should I buy?", None, Vec::new()),
            |_| {},
        )
        .await
        .expect("sent");
    let sent = conversation(&s.azure);
    assert_eq!(
        sent[0],
        json!({"role": "user", "content": [
            {"type": "text", "text": format!("here is my list\n\n{NOTES_BLOCK}")},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}
        ]})
    );
    assert_eq!(
        sent[2],
        json!({"role": "user", "content": "what should I buy?"})
    );

    // The server's store reads them in one call, for their owner only.
    let account = history.client().account().await.expect("the account");
    let caller = |user_id: &str| Caller {
        user_id: user_id.to_string(),
        device_id: "test".into(),
    };
    let ids = [first.user_message.id, first.reply.id];
    let files = chat_for(&s.h.b.state, &caller(&account.user_id))
        .attachments_of_messages(&ids)
        .await
        .expect("read");
    assert_eq!(
        files,
        [
            (first.user_message.id, notes()),
            (first.user_message.id, png())
        ]
    );
    assert!(chat_for(&s.h.a.state, &caller("another-account"))
        .attachments_of_messages(&ids)
        .await
        .expect("read")
        .is_empty());

    // An edit without files: the new version
    // keeps both files, stored as its own and sent with it.
    let edited = history
        .send(
            hosted_send(
                None,
                "here is my new list",
                Some(first.user_message.id),
                Vec::new(),
            ),
            |_| {},
        )
        .await
        .expect("edited");
    let page = history
        .messages(&RecordRef::Id(session), None, None)
        .await
        .expect("page");
    let names: Vec<_> = page
        .attachments
        .iter()
        .filter(|a| a.message_id == edited.user_message.id)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["notes.md", "photo.png"]);
    let sent = conversation(&s.azure);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["content"][1]["image_url"]["url"], PNG_DATA_URL);
}
