//! Message branches in hosted mode: the server (Postgres) keeps the same
//! tree as the desktop — an edit sent again and a regenerated reply are
//! siblings, a branch switch moves the session's active leaf, the model is
//! sent the active path — and the change feed carries each message's
//! parent and the session's active leaf, so another device's copy shows
//! the same conversation.

use banter_core::hosted::{HostedHistory, HostedSend};
use banter_core::ids::RecordRef;
use banter_core::Core;
use banter_core::ErrorCode;
use banter_tests::hosted::{sign_in_core, Chatting};
use banter_tests::Env;

fn send(session: Option<i64>, content: &str, edit_of: Option<i64>) -> HostedSend {
    HostedSend {
        session: session.map(RecordRef::Id),
        content: content.to_string(),
        include_context: false,
        idempotency_key: None,
        edit_of,
        attachments: Vec::new(),
    }
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

/// The texts of the active path as `history` (server, then copy) lists it.
async fn shown(history: &HostedHistory, session: i64) -> Vec<String> {
    history
        .messages(&RecordRef::Id(session), None, None)
        .await
        .expect("messages")
        .messages
        .into_iter()
        .map(|m| m.content)
        .collect()
}

/// The texts of the active path in a device's own copy.
async fn in_copy(history: &HostedHistory, session: i64) -> Vec<String> {
    history
        .copy()
        .expect("a copy")
        .chat()
        .list_messages(&RecordRef::Id(session), None, None)
        .await
        .expect("the copy holds the session")
        .messages
        .into_iter()
        .map(|m| m.content)
        .collect()
}

fn reply(text: &str) -> String {
    format!("Mock reply to: {text}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn edits_regenerations_and_switches_are_kept_by_the_server_and_reach_other_devices() {
    let s = Chatting::start().await;
    let (_env_a, laptop, on_laptop) = device(&s.h.a.url).await;
    let (_env_b, _desktop, on_desktop) = device(&s.h.b.url).await;

    let first = on_laptop
        .send(send(None, "plan a trip", None), |_| {})
        .await
        .expect("sent");
    let session = first.session.id;
    let lisbon = on_laptop
        .send(send(Some(session), "to Lisbon", None), |_| {})
        .await
        .expect("sent");

    // Edited and sent again: a sibling on the server, answered from the
    // path before it only.
    let porto = on_laptop
        .send(
            send(Some(session), "to Porto", Some(lisbon.user_message.id)),
            |_| {},
        )
        .await
        .expect("edited");
    assert_eq!(porto.user_message.parent_id, Some(first.reply.id));
    assert_eq!(porto.reply.parent_id, Some(porto.user_message.id));
    let prompt = s.azure.requests().last().cloned().expect("a request");
    let prompt: Vec<String> = prompt.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(prompt, ["plan a trip", &reply("plan a trip"), "to Porto"]);
    let expected = [
        "plan a trip",
        &reply("plan a trip"),
        "to Porto",
        &reply("to Porto"),
    ];
    assert_eq!(shown(&on_laptop, session).await, expected);
    let page = on_laptop
        .messages(&RecordRef::Id(session), None, None)
        .await
        .unwrap();
    assert_eq!(
        page.branches[0].versions,
        [lisbon.user_message.id, porto.user_message.id]
    );
    assert_eq!(porto.session.message_count, 4);

    // Regenerated: the old reply stays beside the new one.
    let again = on_laptop
        .regenerate(&RecordRef::Id(session), false, |_| {})
        .await
        .expect("regenerated");
    assert_eq!(again.reply.parent_id, Some(porto.user_message.id));
    let page = on_laptop
        .messages(&RecordRef::Id(session), None, None)
        .await
        .unwrap();
    let reply_versions = page
        .branches
        .iter()
        .find(|b| b.message_id == again.reply.id)
        .expect("the reply has two versions");
    assert_eq!(reply_versions.versions, [porto.reply.id, again.reply.id]);

    // The other device's copy follows the feed: the same tree and path.
    on_desktop.pull().await.expect("pulled");
    assert_eq!(in_copy(&on_desktop, session).await, expected);
    let (_, tree) = on_desktop
        .copy()
        .unwrap()
        .chat()
        .message_tree(&RecordRef::Id(session))
        .await
        .unwrap();
    assert_eq!(tree.len(), 7, "every version reached the copy");
    let held = on_desktop
        .copy()
        .unwrap()
        .chat()
        .get_session(&RecordRef::Id(session))
        .await
        .unwrap();
    assert_eq!(held.active_leaf_id, Some(again.reply.id));
    assert_eq!(held.message_count, 4);

    // A switch on the laptop moves the server's leaf; the desktop pulls it,
    // and a send from the desktop follows the branch chosen.
    let switched = on_laptop
        .switch_branch(&RecordRef::Id(session), lisbon.user_message.id)
        .await
        .expect("switched");
    assert_eq!(switched.active_leaf_id, Some(lisbon.reply.id));
    // Each device's copy follows the feed, as the app's does.
    on_laptop.pull().await.expect("pulled");
    assert_eq!(
        in_copy(&on_laptop, session).await,
        [
            "plan a trip",
            &reply("plan a trip"),
            "to Lisbon",
            &reply("to Lisbon")
        ]
    );
    let pulled = on_desktop.pull().await.expect("pulled");
    assert!(pulled.sessions.contains(&session), "{pulled:?}");
    assert_eq!(
        in_copy(&on_desktop, session).await,
        [
            "plan a trip",
            &reply("plan a trip"),
            "to Lisbon",
            &reply("to Lisbon")
        ]
    );
    let next = on_desktop
        .send(send(Some(session), "and after?", None), |_| {})
        .await
        .expect("sent");
    assert_eq!(next.user_message.parent_id, Some(lisbon.reply.id));

    // Each send, edit and regeneration charged once: 5 × 3.
    let balance = laptop.hosted().history().await.unwrap().unwrap();
    let balance = balance.client().balance().await.unwrap();
    assert_eq!(balance.remaining, 100 - 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_refuses_a_bad_edit_or_switch_and_charges_nothing() {
    let s = Chatting::start().await;
    let (_env, _core, history) = device(&s.h.a.url).await;
    let first = history
        .send(send(None, "hello", None), |_| {})
        .await
        .expect("sent");
    let session = first.session.id;
    let err = history
        .send(send(Some(session), "x", Some(first.reply.id)), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let err = history
        .switch_branch(&RecordRef::Id(session), 999_999)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    let balance = history.client().balance().await.unwrap();
    assert_eq!(balance.remaining, 97);
}
