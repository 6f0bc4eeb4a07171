//! Files sent with a message, end to end over real HTTP: a text file goes
//! into the prompt and its tokens into the message's count; an image goes
//! to a vision deployment as an `image_url` content part (checked in the
//! request the mock Azure server received); refusals (too large for the
//! budget, an image for a model that cannot see) come before any charge,
//! session or request; attachments are stored beside the message, listed
//! with its page, sent again on regeneration and carried by the export. In
//! hosted mode the server takes them with the send, stores them, sends them
//! to its model, and another device sees them (and keeps them in its copy
//! for offline reading).

use banter_core::chat::attachments::MAX_TEXT_ATTACHMENT_BYTES;
use banter_core::chat::{Attachment, AttachmentKind, ExportFormat, SendOutcome, SendRequest};
use banter_core::hosted::{HostedHistory, HostedSend};
use banter_core::ids::RecordRef;
use banter_core::providers::{self, ProviderConfig, Secret};
use banter_core::{Core, Error, ErrorCode};
use banter_mocks::{MockConfig, MockServer};
use banter_tests::hosted::{sign_in_core, sign_in_core_as, Chatting};
use banter_tests::{count_rows, mock_azure_config, Env};
use serde_json::{json, Value};

/// The smallest valid PNG (1×1, transparent): 67 bytes.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];
const PNG_DATA_URL: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";

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
    let mock = banter_mocks::start(MockConfig::default())
        .await
        .expect("start mock");
    let mut config = mock_azure_config(&mock.base_url(), deployment, true);
    if let ProviderConfig::Azure(azure) = &mut config {
        azure.vision = vision;
    }
    let provider = providers::build(&config, Some(Secret::new("test-key"))).expect("provider");
    core.chat_engine().set_provider(Some(provider));
    Chat {
        _env: env,
        core,
        mock,
    }
}

impl Chat {
    async fn send(&self, text: &str, attachments: Vec<Attachment>) -> Result<SendOutcome, Error> {
        self.core
            .chat_engine()
            .send(SendRequest {
                session: None,
                content: text.to_string(),
                include_context: false,
                idempotency_key: None,
                edit_of: None,
                attachments,
            })
            .await
    }

    async fn balance(&self) -> i64 {
        self.core
            .ledger()
            .verify(self.core.user_id())
            .await
            .expect("the ledger adds up");
        self.core.balance().await.expect("balance").remaining
    }

    /// The last user message of the last request the mock received.
    fn last_user_message_sent(&self) -> Value {
        let requests = self.mock.requests();
        let body = &requests.last().expect("a request").body;
        body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .cloned()
            .expect("a user message")
    }
}

fn png() -> Attachment {
    Attachment::new("pixel.png", PNG.to_vec()).expect("a PNG")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_file_goes_in_the_prompt_and_its_tokens_are_counted() {
    let chat = chat_with("o3-mini", false).await;
    let code = "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
    let file = Attachment::new("src/add.rs", code.as_bytes().to_vec()).expect("text");
    let out = chat
        .send("what does this do?", vec![file.clone()])
        .await
        .expect("sent");
    assert_eq!(chat.balance().await, 97, "one paid action: 3 credits");

    // On the wire: the message, then the file in a block naming it.
    let sent = chat.last_user_message_sent();
    let content = sent["content"].as_str().expect("plain text content");
    assert!(content.starts_with("what does this do?\n\nAttached file `add.rs`:"));
    assert!(content.contains(code.trim_end()), "{content}");

    // The user message counts the file's tokens too.
    let alone = banter_core::tokens::count("what does this do?");
    assert_eq!(out.user_message.tokens, Some(alone + file.tokens()));
    assert!(file.tokens() > 10);

    // Stored beside the message, listed with its page.
    let page = chat
        .core
        .chat()
        .list_messages(&RecordRef::Id(out.session.id), None, None)
        .await
        .expect("page");
    assert_eq!(page.attachments.len(), 1);
    let info = &page.attachments[0];
    assert_eq!(
        (
            info.message_id,
            info.name.as_str(),
            info.kind,
            info.size_bytes
        ),
        (
            out.user_message.id,
            "add.rs",
            AttachmentKind::Text,
            code.len() as i64
        )
    );
    assert_eq!(
        chat.core.chat().attachment(info.id).await.unwrap(),
        (out.session.id, file)
    );
    let missing = chat
        .core
        .chat()
        .attachment(info.id + 100)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_much_text_for_the_budget_is_refused_before_anything_is_paid() {
    let chat = chat_with("o3-mini", false).await;
    // Under the size cap, far over the token budget.
    let words = "lorem ipsum dolor sit amet ".repeat(MAX_TEXT_ATTACHMENT_BYTES / 28);
    assert!(words.len() <= MAX_TEXT_ATTACHMENT_BYTES);
    let file = Attachment::new("big.txt", words.into_bytes()).expect("text");
    let refused = chat.send("summarise", vec![file]).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::AttachmentOverBudget);
    assert!(refused.is_user_error());
    assert_eq!(chat.balance().await, 100, "nothing charged");
    assert_eq!(count_rows(&chat.core, "chat_sessions").await, 0);
    assert_eq!(count_rows(&chat.core, "chat_messages").await, 0);
    assert_eq!(count_rows(&chat.core, "message_attachments").await, 0);
    assert!(chat.mock.requests().is_empty(), "the model was not asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_files_are_refused_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.txt");
    std::fs::write(&path, [0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]).unwrap();
    let error = Error::from(Attachment::read_file(&path).unwrap_err());
    assert_eq!(error.code(), ErrorCode::AttachmentNotText);
    assert!(error.to_string().contains("data.txt is not a text file"));
    let missing = Attachment::read_file(&dir.path().join("gone.txt")).unwrap_err();
    assert_eq!(Error::from(missing).code(), ErrorCode::AttachmentUnreadable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_for_a_model_that_cannot_see_is_refused_before_anything_is_paid() {
    let chat = chat_with("o3-mini", false).await;
    let refused = chat.send("what is this?", vec![png()]).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ModelCannotSee);
    assert!(
        refused.to_string().contains("cannot see images"),
        "{refused}"
    );
    assert_eq!(chat.balance().await, 100);
    assert_eq!(count_rows(&chat.core, "chat_messages").await, 0);
    assert!(chat.mock.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_goes_to_a_vision_model_as_an_image_url_part() {
    let chat = chat_with("gpt-4o", true).await;
    let note = Attachment::new("note.md", b"# Note\nblue".to_vec()).unwrap();
    let out = chat
        .send("what colour is it?", vec![png(), note])
        .await
        .expect("sent");
    assert_eq!(chat.balance().await, 97, "still one paid action");

    // The request as Azure would get it: the text (with the text file),
    // then the image as a data URL part.
    let sent = chat.last_user_message_sent();
    assert_eq!(
        sent,
        json!({"role": "user", "content": [
            {"type": "text", "text": "what colour is it?\n\nAttached file `note.md`:\n````\n# Note\nblue\n````"},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}
        ]})
    );
    // The mock decoded the image it was sent.
    assert!(
        out.reply.content.ends_with("[image/png image, 67 bytes]"),
        "{}",
        out.reply.content
    );

    // A regeneration sends the image again, for one more paid action.
    let again = chat
        .core
        .chat_engine()
        .regenerate(&RecordRef::Id(out.session.id), false)
        .await
        .expect("regenerated");
    assert_eq!(again.reply.content, out.reply.content);
    assert_eq!(
        chat.last_user_message_sent()["content"][1]["image_url"]["url"],
        PNG_DATA_URL
    );
    assert_eq!(chat.balance().await, 94);

    // The export names them in Markdown and carries them in JSON.
    let md = chat
        .core
        .chat()
        .export(&RecordRef::Id(out.session.id), ExportFormat::Markdown)
        .await
        .unwrap();
    assert!(
        md.content
            .contains("- 📎 `pixel.png` (image/png, 67 bytes)"),
        "{}",
        md.content
    );
    assert!(md.content.contains("- 📎 `note.md`"));
    let json: Value = serde_json::from_str(
        &chat
            .core
            .chat()
            .export(&RecordRef::Id(out.session.id), ExportFormat::Json)
            .await
            .unwrap()
            .content,
    )
    .unwrap();
    let user = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "user")
        .unwrap()
        .clone();
    assert_eq!(user["attachments"][0]["name"], "pixel.png");
    assert_eq!(user["attachments"][0]["kind"], "image");
    assert_eq!(
        format!(
            "data:image/png;base64,{}",
            user["attachments"][0]["data"].as_str().unwrap()
        ),
        PNG_DATA_URL
    );
    assert_eq!(user["attachments"][1]["mime"], "text/plain; charset=utf-8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_refuses_images_where_azure_would() {
    // Marked vision-capable by mistake: the deployment itself refuses, the
    // send fails, and the charge is refunded.
    let chat = chat_with("o3-mini", true).await;
    let failed = chat.send("see?", vec![png()]).await.unwrap_err();
    assert_eq!(failed.code(), ErrorCode::BadRequest);
    assert_eq!(chat.balance().await, 100);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosted_attachments_are_uploaded_with_the_send_and_seen_on_the_other_device() {
    let s = Chatting::start_with(true).await;
    let (_env_a, _laptop, on_laptop) = device(&s.h.a.url).await;
    let (_env_b, _desktop, on_desktop) = device(&s.h.b.url).await;

    let file = Attachment::new("todo.txt", b"buy milk".to_vec()).unwrap();
    let sent = on_laptop
        .send(
            HostedSend {
                session: None,
                content: "and this?".into(),
                include_context: false,
                idempotency_key: None,
                edit_of: None,
                attachments: vec![png(), file.clone()],
            },
            |_| {},
        )
        .await
        .expect("sent through the server");
    assert!(sent.reply.content.ends_with("[image/png image, 67 bytes]"));
    // The server's model was sent the image and the file.
    let requests = s.azure.requests();
    let user = requests.last().unwrap().body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(user["content"][1]["image_url"]["url"], PNG_DATA_URL);
    assert!(user["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("buy milk"));

    // The other device, through the other instance, lists them with the
    // message and fetches their bytes.
    let page = on_desktop
        .messages(&RecordRef::Id(sent.session.id), None, None)
        .await
        .expect("messages");
    let names: Vec<_> = page.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["pixel.png", "todo.txt"]);
    assert!(page
        .attachments
        .iter()
        .all(|a| a.message_id == sent.user_message.id));
    let image = on_desktop
        .client()
        .attachment(page.attachments[0].id)
        .await
        .expect("the image");
    assert_eq!(image, png());
    let text = on_desktop
        .client()
        .attachment(page.attachments[1].id)
        .await
        .unwrap();
    assert_eq!(text, file);
    let credits = on_desktop.client().balance().await.expect("balance");
    assert_eq!(credits.remaining, 97, "one paid action");

    // The desktop's copy follows the feed; reading the page online keeps
    // the files too, under the server's ids, so they show offline.
    on_desktop.pull().await.expect("pulled");
    on_desktop
        .messages(&RecordRef::Id(sent.session.id), None, None)
        .await
        .expect("messages");
    let copy = on_desktop.copy().expect("a copy").chat();
    let offline = copy
        .list_messages(&RecordRef::Id(sent.session.id), None, None)
        .await
        .expect("the copy holds the session");
    assert_eq!(offline.attachments, page.attachments);
    assert_eq!(
        copy.attachment(page.attachments[0].id).await.unwrap(),
        (sent.session.id, png())
    );
    assert_eq!(
        on_desktop
            .attachment(sent.session.id, page.attachments[1].id, false)
            .await
            .unwrap(),
        file
    );
    // Named with another session, the copy's file is not handed out, and
    // a window that may not ask the server gets nothing from it either.
    assert!(on_desktop
        .attachment(sent.session.id + 1, page.attachments[1].id, false)
        .await
        .is_err());
    assert!(on_desktop
        .attachment(sent.session.id, page.attachments[1].id + 1000, false)
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_checks_uploads_again() {
    let s = Chatting::start().await;
    let (_env, _core, history) = device(&s.h.a.url).await;
    // A client that claims a text file is an image the model can see, and
    // one that sends an image to a server model that cannot.
    let forged = Attachment {
        name: "x.png".into(),
        kind: AttachmentKind::Image,
        mime: "image/png".into(),
        data: vec![0, 1, 2, 3],
    };
    let send = |attachments| HostedSend {
        session: None,
        content: "look".into(),
        include_context: false,
        idempotency_key: None,
        edit_of: None,
        attachments,
    };
    let error = history.send(send(vec![forged]), |_| {}).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::AttachmentNotText);
    let error = history.send(send(vec![png()]), |_| {}).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::ModelCannotSee);
    let credits = history.client().balance().await.expect("balance");
    assert_eq!(credits.remaining, 100, "nothing charged");
    assert!(s.azure.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_is_bound_to_the_files_it_was_sent_with() {
    let chat = chat_with("o3-mini", false).await;
    let send = |name: &str, text: &[u8]| SendRequest {
        session: None,
        content: "read this".into(),
        include_context: false,
        idempotency_key: Some("key-with-files".into()),
        edit_of: None,
        attachments: vec![Attachment::new(name, text.to_vec()).unwrap()],
    };
    let first = chat
        .core
        .chat_engine()
        .send(send("a.txt", b"one"))
        .await
        .unwrap();
    assert!(!first.replayed);
    // The same send again: the first exchange, charged once.
    let again = chat
        .core
        .chat_engine()
        .send(send("a.txt", b"one"))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.user_message.id, first.user_message.id);
    // The same key and text with another file: refused, nothing charged.
    let other = chat
        .core
        .chat_engine()
        .send(send("a.txt", b"two"))
        .await
        .unwrap_err();
    assert_eq!(other.code(), ErrorCode::IdempotencyConflict);
    assert_eq!(chat.balance().await, 97);
    assert_eq!(count_rows(&chat.core, "message_attachments").await, 1);
    assert_eq!(chat.mock.requests().len(), 1);
}

/// An attachment is the account's: another account naming its id gets
/// `not_found` from the server, and so does its owner for an id that does
/// not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_account_cannot_read_an_attachment_by_its_id() {
    let s = Chatting::start_with(true).await;
    let (_env_a, _alice_core, alices) = device(&s.h.a.url).await;
    let bob_env = Env::new("2026-03-10T12:00:00Z");
    let bob_core = bob_env.open().await;
    let bobs = sign_in_core_as(&bob_core, &s.h.b.url, Some("user-bob")).await;

    let sent = alices
        .send(
            HostedSend {
                session: None,
                content: "my notes".into(),
                include_context: false,
                idempotency_key: None,
                edit_of: None,
                attachments: vec![Attachment::new("notes.txt", b"secret plans".to_vec()).unwrap()],
            },
            |_| {},
        )
        .await
        .expect("sent");
    let page = alices
        .client()
        .messages(&RecordRef::Id(sent.session.id), None, None)
        .await
        .expect("alice's page");
    let id = page.attachments[0].id;
    assert_eq!(
        alices.client().attachment(id).await.expect("hers").data,
        b"secret plans"
    );
    let refused = bobs.attachment(id).await.expect_err("not bob's");
    assert_eq!(Error::from(refused).code(), ErrorCode::NotFound);
    let missing = alices
        .client()
        .attachment(id + 1000)
        .await
        .expect_err("none");
    assert_eq!(Error::from(missing).code(), ErrorCode::NotFound);
}
