//! A signed-in device's history offline: what it reads from the server is
//! kept in this computer's copy (`banter_core::hosted::HostedHistory`), so
//! without a network the sessions, messages, search and export still
//! answer, edits are made in the copy and sent when the server answers
//! again, and paid actions are refused with `offline` and charge nothing. The copy follows the server (a session deleted
//! elsewhere, a regenerated reply), the local-mode history is never
//! touched, and signing out removes the copy.
//!
//! The network is a real TCP gateway between the device and the server
//! (`banter_mocks::gateway`), taken down and brought back.

use banter_core::chat::{ExportFormat, MessageStatus, Role};
use banter_core::events::{DomainEvent, Subscription};
use banter_core::hosted::{HostedSend, Pushed, ACCOUNTS_DIR};
use banter_core::ids::RecordRef;
use banter_core::{Core, ErrorCode};
use banter_mocks::gateway::Gateway;
use banter_tests::hosted::{history, sign_in_core, Chatting};
use banter_tests::Env;

fn message_cost() -> i64 {
    banter_core::ledger::Action::ChatMessage.cost()
}

fn send(session: Option<i64>, content: &str) -> HostedSend {
    HostedSend {
        session: session.map(RecordRef::Id),
        content: content.to_string(),
        include_context: false,
        idempotency_key: None,
        edit_of: None,
        attachments: Vec::new(),
    }
}

/// The `ServerReachable` events heard so far.
fn reachability_events(events: &mut Subscription) -> Vec<bool> {
    std::iter::from_fn(|| events.try_recv().ok())
        .filter_map(|event| match event {
            DomainEvent::ServerReachable { reachable } => Some(reachable),
            _ => None,
        })
        .collect()
}

/// Two server instances answering with the mock model, a gateway in front
/// of the first (the network this test takes down and brings back), and a
/// desktop profile signed in through it. The mocks live as long as this.
struct Setup {
    s: Chatting,
    network: Gateway,
    env: Env,
    core: Core,
}

async fn signed_in_behind_a_gateway() -> Setup {
    let s = Chatting::start().await;
    let network = s.gateway_to_a().await;
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    sign_in_core(&core, &network.url()).await;
    Setup {
        s,
        network,
        env,
        core,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_stays_readable_offline_and_follows_the_server() {
    // Held to the end: dropping it stops the servers and the mocks.
    let setup = signed_in_behind_a_gateway().await;
    let (network, env, core) = (&setup.network, &setup.env, &setup.core);
    let mut events = core.events().subscribe();
    let history = history(core).await;

    // Two conversations through the server.
    let first = history
        .send(send(None, "plan a trip to Lisbon"), |_| {})
        .await
        .expect("first send");
    let second = history
        .send(send(None, "a recipe for bread"), |_| {})
        .await
        .expect("second send");
    let online = history.sessions(None, None).await.expect("sessions");
    assert_eq!(online.sessions.len(), 2, "{online:?}");
    assert_eq!(reachability_events(&mut events), vec![true]);

    // The network goes away: reading answers from this computer's copy.
    network.set_up(false);
    let offline = history
        .sessions(None, None)
        .await
        .expect("sessions offline");
    assert_eq!(offline, online, "the copy lists what the server listed");
    let first_ref = RecordRef::Id(first.session.id);
    let page = history
        .messages(&first_ref, None, None)
        .await
        .expect("messages offline");
    let read: Vec<(Role, &str, MessageStatus)> = page
        .messages
        .iter()
        .map(|m| (m.role, m.content.as_str(), m.status))
        .collect();
    assert_eq!(
        read,
        vec![
            (Role::User, "plan a trip to Lisbon", MessageStatus::Complete),
            (
                Role::Assistant,
                first.reply.content.as_str(),
                MessageStatus::Complete
            ),
        ]
    );
    // The question and the mock's echo of it.
    let hits = history.search("Lisbon", None).await.expect("search");
    let mut found: Vec<(i64, i64)> = hits.iter().map(|h| (h.session_id, h.message_id)).collect();
    found.sort_unstable();
    assert_eq!(
        found,
        vec![
            (first.session.id, first.user_message.id),
            (first.session.id, first.reply.id)
        ]
    );
    let file = history
        .export(&first_ref, ExportFormat::Markdown)
        .await
        .expect("export offline");
    assert!(
        file.content.contains("plan a trip to Lisbon"),
        "{}",
        file.content
    );
    assert_eq!(reachability_events(&mut events), vec![false], "said once");

    // An edit is made in the copy at once and sent when the server answers
    // again; paid actions need the server: refused, nothing charged.
    let renamed = history
        .rename(&first_ref, "Lisbon")
        .await
        .expect("renamed here");
    assert_eq!(renamed.title.as_deref(), Some("Lisbon"));
    let sent = history
        .send(send(Some(first.session.id), "and Porto?"), |_| {})
        .await
        .unwrap_err();
    assert_eq!(sent.code(), ErrorCode::Offline, "{sent:?}");
    // A session this computer never held is not "not found" offline.
    let unknown = history
        .messages(&RecordRef::Id(first.session.id + 1000), None, None)
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::Offline, "{unknown:?}");
    assert!(reachability_events(&mut events).is_empty());

    // Back online; the server charged only the two sends.
    network.set_up(true);
    let balance = history.client().balance().await.expect("balance");
    assert_eq!(balance.remaining, 100 - 2 * message_cost());
    assert_eq!(reachability_events(&mut events), vec![true]);
    let pushed = history.push().await.expect("the queued rename is sent");
    assert_eq!(
        pushed,
        Pushed {
            sent: 1,
            refused: Vec::new()
        }
    );
    let on_server = history.client().session(&first_ref).await.expect("session");
    assert_eq!(on_server.title.as_deref(), Some("Lisbon"));
    assert_eq!(
        history.push().await.expect("nothing left"),
        Pushed::default()
    );

    // The copy follows the server: a session deleted from another device,
    // a reply regenerated.
    history
        .client()
        .delete_session(&RecordRef::Id(second.session.id))
        .await
        .expect("deleted on the server");
    history.sessions(None, None).await.expect("sessions");
    let regenerated = history
        .regenerate(&first_ref, false, |_| {})
        .await
        .expect("regenerate");
    assert_ne!(regenerated.reply.id, first.reply.id);
    network.set_up(false);
    let offline = history
        .sessions(None, None)
        .await
        .expect("sessions offline");
    let ids: Vec<i64> = offline.sessions.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![first.session.id]);
    let page = history
        .messages(&first_ref, None, None)
        .await
        .expect("messages offline");
    let ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, vec![first.user_message.id, regenerated.reply.id]);
    network.set_up(true);

    // The local-mode history was never touched.
    let local = core.chat().list_sessions(None, None).await.unwrap();
    assert!(local.sessions.is_empty(), "{local:?}");

    // Signing out removes the copy from this computer.
    let accounts = env.data_dir().join(ACCOUNTS_DIR);
    assert_eq!(std::fs::read_dir(&accounts).unwrap().count(), 1);
    history.client().sign_out().await.expect("sign out");
    assert_eq!(std::fs::read_dir(&accounts).unwrap().count(), 0);
    assert!(core.hosted().history().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_copy_keeps_what_a_replay_or_another_device_leaves_in_place() {
    let setup = signed_in_behind_a_gateway().await;
    let (h, network, core) = (&setup.s.h, &setup.network, &setup.core);
    let history = history(core).await;
    // What another device does: straight to the server, past this copy.
    let elsewhere = history.client().clone();

    // A keyed send, another after it, then the first again (a retry): the
    // replay is the first exchange, not the end of the session.
    let keyed = HostedSend {
        idempotency_key: Some("retry-me".into()),
        edit_of: None,
        ..send(None, "first topic")
    };
    let first = history.send(keyed.clone(), |_| {}).await.unwrap();
    let session = Some(first.session.id);
    let later = history
        .send(send(session, "a later question"), |_| {})
        .await
        .unwrap();
    let replayed = history
        .send(
            HostedSend {
                session: session.map(RecordRef::Id),
                ..keyed
            },
            |_| {},
        )
        .await
        .unwrap();
    assert!(replayed.replayed);
    let second = history
        .send(send(None, "second topic"), |_| {})
        .await
        .unwrap();

    // Paged one at a time: the first page is the newest session. Another
    // device then answers in the older one, which moves up the list, out
    // of the second page's range: it is not taken for deleted.
    let newest = history.sessions(None, Some(1)).await.unwrap();
    assert_eq!(newest.sessions[0].id, second.session.id);
    h.clock.advance(chrono::Duration::seconds(60));
    elsewhere
        .send(send(session, "from the other device"), |_| {})
        .await
        .unwrap();
    history
        .sessions(newest.next_cursor.as_deref(), Some(1))
        .await
        .unwrap();
    // A session made elsewhere and listed here, but never opened here.
    let unopened = elsewhere
        .create_session(Some("never opened"))
        .await
        .unwrap();
    history.sessions(None, None).await.unwrap();

    network.set_up(false);
    let page = history
        .messages(&RecordRef::Id(first.session.id), None, None)
        .await
        .expect("the moved session is still readable offline");
    let ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(
        ids,
        vec![
            first.user_message.id,
            first.reply.id,
            later.user_message.id,
            later.reply.id
        ],
        "the replay left the later exchange in place"
    );
    let error = history
        .messages(&RecordRef::Id(unopened.id), None, None)
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        ErrorCode::Offline,
        "never opened here: {error:?}"
    );
}
