//! Two signed-in devices of one account (two desktop profiles, each its own
//! data directory and keyring, as two computers), each talking to its own
//! server instance on one Postgres: what one does reaches the other's copy
//! through the account's change feed — pulled on demand
//! (`HostedHistory::pull`) and followed live (`HostedAccounts::follow`) —
//! and another account's device never receives any of it.

use banter_core::chat::Role;
use banter_core::events::DomainEvent;
use banter_core::hosted::{HostedSend, ACCOUNTS_DIR, RECHECK_EVERY};
use banter_core::ids::RecordRef;
use banter_core::projects::NewTask;
use banter_core::Core;
use banter_tests::hosted::{history, sign_in_core, sign_in_core_as, Chatting};
use banter_tests::Env;
use std::time::{Duration, Instant};

/// The longest a change may take to reach the following device before the
/// test gives up (a failure bound, not a measurement: the propagation time
/// is printed and measured in the benchmarks).
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

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

/// A device: a profile of its own, signed in through `server`.
async fn device(server: &str, user: Option<&str>) -> (Env, Core) {
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    sign_in_core_as(&core, server, user).await;
    (env, core)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_one_device_does_reaches_the_others_copy_and_no_other_account() {
    let s = Chatting::start().await;
    let (_env_a, laptop) = device(&s.h.a.url, None).await;
    let (_env_b, desktop) = device(&s.h.b.url, None).await;
    let (on_laptop, on_desktop) = (history(&laptop).await, history(&desktop).await);

    // A conversation on the laptop.
    let sent = on_laptop
        .send(send(None, "plan a trip to Lisbon"), |_| {})
        .await
        .expect("sent");
    let session = sent.session.id;
    let pulled = on_desktop.pull().await.expect("pulled");
    assert!(pulled.sessions.contains(&session), "{pulled:?}");
    assert!(pulled.ledger, "the spend moved the ledger: {pulled:?}");
    let copy = on_desktop.copy().expect("the desktop's copy");
    let held = copy
        .chat()
        .list_messages(&RecordRef::Id(session), None, None)
        .await
        .expect("the copy has the session")
        .messages;
    let said: Vec<(Role, &str)> = held.iter().map(|m| (m.role, m.content.as_str())).collect();
    assert_eq!(
        said,
        [
            (Role::User, "plan a trip to Lisbon"),
            (Role::Assistant, sent.reply.content.as_str())
        ]
    );
    let listed = copy
        .chat()
        .get_session(&RecordRef::Id(session))
        .await
        .expect("listed");
    assert_eq!(listed.message_count, 2);
    assert_eq!(listed.display_id, sent.session.display_id);

    // Nothing new: nothing pulled, the cursor stays.
    let again = on_desktop.pull().await.expect("pulled again");
    assert_eq!((again.changes, again.cursor), (0, pulled.cursor));

    // A rename, a project with a task, then the conversation deleted.
    on_laptop
        .rename(&RecordRef::Id(session), "Lisbon")
        .await
        .expect("renamed");
    let project = on_laptop
        .client()
        .create_project("Trip", "Lisbon in May")
        .await
        .expect("project");
    let task = on_laptop
        .client()
        .add_task(
            &RecordRef::Id(project.id),
            &NewTask {
                title: "Book flights".into(),
                ..NewTask::default()
            },
        )
        .await
        .expect("task");
    let pulled = on_desktop.pull().await.expect("pulled");
    assert!(pulled.projects, "{pulled:?}");
    let renamed = copy
        .chat()
        .get_session(&RecordRef::Id(session))
        .await
        .expect("still there");
    assert_eq!(renamed.title.as_deref(), Some("Lisbon"));
    let projects = copy
        .projects()
        .list_projects(false, None)
        .await
        .expect("the copy's projects");
    assert_eq!(
        projects
            .iter()
            .map(|p| (p.id, p.name.as_str(), p.total_tasks))
            .collect::<Vec<_>>(),
        [(project.id, "Trip", 1)]
    );
    let copied_task = copy
        .projects()
        .get_task(&RecordRef::Id(task.id))
        .await
        .expect("the copy's task");
    assert_eq!(copied_task.title, "Book flights");

    on_laptop
        .delete(&RecordRef::Id(session))
        .await
        .expect("deleted");
    on_laptop
        .client()
        .delete_task(&RecordRef::Id(task.id))
        .await
        .expect("task deleted");
    let pulled = on_desktop.pull().await.expect("pulled");
    assert!(pulled.sessions.contains(&session), "{pulled:?}");
    assert!(copy
        .chat()
        .get_session(&RecordRef::Id(session))
        .await
        .is_err());
    assert!(copy
        .projects()
        .get_task(&RecordRef::Id(task.id))
        .await
        .is_err());

    // Bob's device, on the same servers, receives none of it.
    let (_env_c, bobs) = device(&s.h.b.url, Some("user-bob")).await;
    let on_bobs = history(&bobs).await;
    let pulled = on_bobs.pull().await.expect("bob pulls");
    assert!(pulled.sessions.is_empty() && !pulled.projects, "{pulled:?}");
    let bobs_copy = on_bobs.copy().expect("bob's copy");
    assert!(bobs_copy
        .projects()
        .list_projects(true, None)
        .await
        .expect("bob's projects")
        .is_empty());
    assert!(bobs_copy
        .chat()
        .list_sessions(None, None)
        .await
        .expect("bob's sessions")
        .sessions
        .is_empty());
}

/// Waits until `desktop`'s copy holds `reply` as the last message of its
/// session, having heard `Synced` for it (and, with `credits`, the balance
/// after it); returns how long that took.
async fn heard(
    desktop: &Core,
    events: &mut banter_core::events::Subscription,
    reply: &banter_core::chat::ChatMessage,
    credits: Option<i64>,
) -> Duration {
    let started = Instant::now();
    let mut held = false;
    let mut credits_heard = credits.is_none();
    while !(held && credits_heard) {
        let event = tokio::time::timeout_at((started + GIVE_UP_AFTER).into(), events.recv())
            .await
            .expect("the desktop hears the laptop in time")
            .expect("the bus");
        match event {
            DomainEvent::Synced { sessions, .. } if sessions.contains(&reply.session_id) => {
                let messages = history(desktop)
                    .await
                    .copy()
                    .expect("copy")
                    .chat()
                    .list_messages(&RecordRef::Id(reply.session_id), None, None)
                    .await
                    .map(|page| page.messages)
                    .unwrap_or_default();
                held = messages
                    .last()
                    .is_some_and(|m| m.id == reply.id && m.content == reply.content);
            }
            DomainEvent::CreditsChanged { remaining, .. } => {
                credits_heard = credits_heard || Some(remaining) == credits;
            }
            _ => {}
        }
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_following_device_hears_anothers_send_and_holds_it() {
    let s = Chatting::start().await;
    let (_env_a, laptop) = device(&s.h.a.url, None).await;
    let (env_b, desktop) = device(&s.h.b.url, None).await;
    let on_laptop = history(&laptop).await;
    let mut events = desktop.events().subscribe();

    // Sent before the desktop follows: its first pull brings it.
    let before = on_laptop
        .send(send(None, "hello from the laptop"), |_| {})
        .await
        .expect("sent");
    let following = tokio::spawn(desktop.hosted().clone().follow());
    heard(&desktop, &mut events, &before.reply, None).await;

    // Sent while it follows: the change stream brings it (the follower
    // pulls only when the stream says the feed moved).
    let live = on_laptop
        .send(send(None, "and one more"), |_| {})
        .await
        .expect("sent");
    let took = heard(
        &desktop,
        &mut events,
        &live.reply,
        Some(live.balance.remaining),
    )
    .await;
    println!(
        "the laptop's finished send reached the desktop's copy {} ms after the laptop had it",
        took.as_millis()
    );
    let session = live.session.id;

    // Signed out, the follower lets the account go: the desktop's copy is
    // removed and stays removed while the laptop goes on (the follower has
    // looked at the sign-in again twice by the end of the wait).
    history(&desktop)
        .await
        .client()
        .sign_out()
        .await
        .expect("signed out");
    let accounts = env_b.data_dir().join(ACCOUNTS_DIR);
    assert_eq!(std::fs::read_dir(&accounts).unwrap().count(), 0);
    on_laptop
        .send(send(Some(session), "still there?"), |_| {})
        .await
        .expect("sent");
    tokio::time::sleep(RECHECK_EVERY * 2).await;
    assert_eq!(
        std::fs::read_dir(&accounts).unwrap().count(),
        0,
        "no copy made again after the sign-out"
    );
    assert!(!following.is_finished(), "the follower waits for a sign-in");
    following.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_copy_filled_before_the_feed_is_completed_by_its_first_pull() {
    let s = Chatting::start().await;
    let (_env_a, laptop) = device(&s.h.a.url, None).await;
    let on_laptop = history(&laptop).await;
    let mut sessions = Vec::new();
    for n in 0..3 {
        let sent = on_laptop
            .send(send(None, &format!("question {n}")), |_| {})
            .await
            .expect("sent");
        sessions.push(sent.session.id);
    }
    // A second device that read one conversation's page before pulling.
    let env = Env::new("2026-03-10T12:00:00Z");
    let desktop = env.open().await;
    sign_in_core(&desktop, &s.h.b.url).await;
    let on_desktop = history(&desktop).await;
    on_desktop
        .messages(&RecordRef::Id(sessions[0]), None, None)
        .await
        .expect("read one page");
    let pulled = on_desktop.pull().await.expect("pulled");
    for id in &sessions {
        assert!(pulled.sessions.contains(id), "{pulled:?}");
        let held = on_desktop
            .copy()
            .expect("copy")
            .chat()
            .get_session(&RecordRef::Id(*id))
            .await
            .expect("held");
        assert_eq!(held.message_count, 2, "counted once each");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn edits_made_offline_survive_a_restart_and_lose_to_a_delete_elsewhere() {
    use banter_core::hosted::Pushed;
    let s = Chatting::start().await;
    let network = s.gateway_to_a().await;
    let laptop_env = Env::new("2026-03-10T12:00:00Z");
    let laptop = laptop_env.open().await;
    sign_in_core(&laptop, &network.url()).await;
    let (_env_b, desktop) = device(&s.h.b.url, None).await;
    let on_laptop = history(&laptop).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let sent = on_laptop
            .send(send(None, &format!("trip {n}")), |_| {})
            .await
            .expect("sent");
        ids.push(sent.session.id);
    }
    on_laptop
        .pull()
        .await
        .expect("the laptop's copy is up to date");

    // Offline, the laptop renames the first, deletes the second, renames
    // the third; meanwhile the desktop deletes the third.
    network.set_up(false);
    let renamed = on_laptop
        .rename(&RecordRef::Id(ids[0]), "Lisbon")
        .await
        .expect("renamed here");
    assert_eq!(renamed.title.as_deref(), Some("Lisbon"));
    on_laptop
        .delete(&RecordRef::Id(ids[1]))
        .await
        .expect("deleted here");
    on_laptop
        .rename(&RecordRef::Id(ids[2]), "Porto")
        .await
        .expect("renamed here");
    let empty = on_laptop
        .rename(&RecordRef::Id(ids[0]), "  ")
        .await
        .unwrap_err();
    assert_eq!(
        empty.code(),
        banter_core::ErrorCode::InvalidInput,
        "{empty}"
    );
    history(&desktop)
        .await
        .delete(&RecordRef::Id(ids[2]))
        .await
        .expect("deleted on the desktop");

    // The laptop restarts before the network is back: the queue is kept.
    laptop.close().await;
    drop((on_laptop, laptop));
    let laptop = laptop_env.open().await;
    let on_laptop = history(&laptop).await;
    let offline = on_laptop.pull().await.unwrap_err();
    assert_eq!(offline.code(), banter_core::ErrorCode::Offline, "{offline}");
    let held = on_laptop
        .copy()
        .expect("copy")
        .chat()
        .get_session(&RecordRef::Id(ids[0]))
        .await
        .expect("still held");
    assert_eq!(held.title.as_deref(), Some("Lisbon"));

    network.set_up(true);
    let pulled = on_laptop.pull().await.expect("pushed and pulled");
    assert_eq!(pulled.pushed, 2, "{pulled:?}");
    assert_eq!(pulled.refused.len(), 1, "{pulled:?}");
    assert!(
        pulled.refused[0].contains(
            "renamed to “Porto” on this computer, but it had been deleted on another device"
        ),
        "{:?}",
        pulled.refused
    );
    assert_eq!(
        on_laptop.push().await.expect("nothing left"),
        Pushed::default()
    );

    // The server's order decided, and every copy agrees with it.
    let on_desktop = history(&desktop).await;
    on_desktop.pull().await.expect("the desktop pulls");
    let server = on_desktop
        .client()
        .sessions(None, None)
        .await
        .expect("the server's list")
        .sessions;
    let summary = |sessions: &[banter_core::chat::ChatSession]| {
        let mut rows: Vec<(i64, Option<String>)> =
            sessions.iter().map(|s| (s.id, s.title.clone())).collect();
        rows.sort();
        rows
    };
    assert_eq!(summary(&server), vec![(ids[0], Some("Lisbon".to_string()))]);
    for copy in [on_laptop.copy(), on_desktop.copy()] {
        let held = copy
            .expect("copy")
            .chat()
            .list_sessions(None, None)
            .await
            .expect("the copy's list")
            .sessions;
        assert_eq!(summary(&held), summary(&server));
    }
}

/// Projects and tasks made and changed offline: made in the copy at once
/// under provisional ids, kept over a restart, and made once on the server
/// when the network is back — the copy's rows take the server's ids, and
/// the other device gets them through the feed. A task added offline to a
/// project deleted elsewhere meanwhile is dropped and told.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projects_and_tasks_made_offline_reach_the_server_once() {
    use banter_core::projects::{TaskFilter, TaskStatus, TaskUpdate};
    let s = Chatting::start().await;
    let network = s.gateway_to_a().await;
    let laptop_env = Env::new("2026-03-10T12:00:00Z");
    let laptop = laptop_env.open().await;
    sign_in_core(&laptop, &network.url()).await;
    let (_env_b, desktop) = device(&s.h.b.url, None).await;
    let garden = history(&desktop)
        .await
        .projects()
        .create_project("Garden", "")
        .await
        .expect("made on the desktop");
    let on_laptop = history(&laptop).await;
    on_laptop.pull().await.expect("the laptop follows the feed");

    network.set_up(false);
    let projects = history(&laptop).await.projects();
    let trip = projects
        .create_project("Trip", "two weeks")
        .await
        .expect("made here");
    assert_eq!(trip.display_id, "PR-L000001");
    assert!(trip.id < 0, "{trip:?}");
    let task = |title: &str| NewTask {
        title: title.into(),
        ..NewTask::default()
    };
    let flights = projects
        .add_task(
            &RecordRef::parse(banter_core::ids::IdKind::Project, "pr-l000001").expect("an id"),
            &task("Book flights"),
        )
        .await
        .expect("added here");
    assert_eq!(flights.display_id, "TK-L000001");
    projects
        .add_task(&RecordRef::Id(trip.id), &task("Pack"))
        .await
        .expect("added here");
    let done = TaskUpdate {
        status: Some(TaskStatus::Done),
        ..TaskUpdate::default()
    };
    projects
        .update_task(&RecordRef::Id(flights.id), &done)
        .await
        .expect("done here");
    projects
        .add_task(&RecordRef::Id(garden.id), &task("Water"))
        .await
        .expect("added here");
    let listed = projects.list(false).await.expect("read from the copy");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let invalid = projects.create_project(" ", "").await.unwrap_err();
    assert_eq!(invalid.code(), banter_core::ErrorCode::InvalidInput);
    let not_queued = projects
        .delete_project(&RecordRef::Id(garden.id))
        .await
        .unwrap_err();
    assert_eq!(not_queued.code(), banter_core::ErrorCode::Offline);
    // Meanwhile the desktop deletes the garden.
    history(&desktop)
        .await
        .projects()
        .delete_project(&RecordRef::Id(garden.id))
        .await
        .expect("deleted on the desktop");

    // A restart keeps the queue; with the network back it is sent.
    laptop.close().await;
    drop((on_laptop, projects, laptop));
    let laptop = laptop_env.open().await;
    network.set_up(true);
    let on_laptop = history(&laptop).await;
    let pulled = on_laptop.pull().await.expect("pushed and pulled");
    assert_eq!(pulled.pushed, 4, "{pulled:?}");
    assert_eq!(pulled.refused.len(), 1, "{pulled:?}");
    assert!(
        pulled.refused[0].contains(
            "“Water” was made on this computer, but it had been deleted on another device"
        ),
        "{:?}",
        pulled.refused
    );

    // The server has each once, and the laptop's copy holds them under the
    // server's ids.
    let on_server = history(&desktop).await.projects();
    let made = on_server.list(false).await.expect("the server's");
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(
        (
            made[0].name.as_str(),
            made[0].total_tasks,
            made[0].open_tasks
        ),
        ("Trip", 2, 1)
    );
    let here = on_laptop.clone().projects();
    let held = here.list(false).await.expect("listed");
    assert_eq!(held, made, "the laptop's copy is the server's");
    let tasks = on_server
        .tasks(&TaskFilter::default())
        .await
        .expect("the server's tasks");
    let mut titles: Vec<(&str, TaskStatus)> =
        tasks.iter().map(|t| (t.title.as_str(), t.status)).collect();
    titles.sort_by_key(|(title, _)| *title);
    assert_eq!(
        titles,
        [
            ("Book flights", TaskStatus::Done),
            ("Pack", TaskStatus::Todo)
        ]
    );
    assert!(tasks
        .iter()
        .all(|t| t.project_id == made[0].id && !t.display_id.contains('L')));
    network.set_up(false);
    let offline_tasks = here
        .tasks(&TaskFilter::default())
        .await
        .expect("read from the copy");
    assert_eq!(offline_tasks, tasks);
    network.set_up(true);

    // The desktop follows.
    history(&desktop)
        .await
        .pull()
        .await
        .expect("the desktop pulls");
    let copy_b = history(&desktop).await;
    let copy_b = copy_b.copy().expect("copy").projects();
    assert_eq!(copy_b.list_projects(false, None).await.expect("held"), made);
}

/// A creation key makes its record once: the same request again answers
/// with the first one's record; the key reused for another request is
/// refused, and another account's same key is its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_creation_key_makes_its_record_once() {
    let s = Chatting::start().await;
    let (_env_a, laptop) = device(&s.h.a.url, None).await;
    let (_env_b, bobs) = device(&s.h.b.url, Some("user-bob")).await;
    let client = history(&laptop).await.client().clone();
    let first = client
        .create_project_once("Trip", "", "key-1")
        .await
        .expect("made");
    let again = client
        .create_project_once("Trip", "", "key-1")
        .await
        .expect("the same");
    assert_eq!(again, first);
    let other = client
        .create_project_once("Another", "", "key-1")
        .await
        .unwrap_err();
    assert_eq!(
        other.code(),
        banter_core::ErrorCode::IdempotencyConflict,
        "{other}"
    );
    let task = NewTask {
        title: "Pack".into(),
        ..NewTask::default()
    };
    let packed = client
        .add_task_once(&RecordRef::Id(first.id), &task, "key-2")
        .await
        .expect("added");
    let again = client
        .add_task_once(&RecordRef::Id(first.id), &task, "key-2")
        .await
        .expect("the same");
    assert_eq!(again, packed);
    let as_project = client
        .create_project_once("Trip", "", "key-2")
        .await
        .unwrap_err();
    assert_eq!(
        as_project.code(),
        banter_core::ErrorCode::IdempotencyConflict
    );
    let his = history(&bobs)
        .await
        .client()
        .create_project_once("Trip", "", "key-1")
        .await
        .expect("bob's own");
    assert_ne!(his.id, first.id);
    assert_eq!(
        history(&laptop)
            .await
            .projects()
            .list(false)
            .await
            .expect("listed")
            .len(),
        1
    );
}

/// Signing out can keep this computer's copy: signed in as someone else,
/// that copy is neither shown nor removed (each account has its own), and
/// the same account signed in again goes on from it (its cursor kept). By
/// default a sign-out removes the copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_copy_kept_at_sign_out_serves_the_same_account_again_and_never_another() {
    use banter_core::hosted::AtSignOut;
    let s = Chatting::start().await;
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    let copies = || {
        std::fs::read_dir(env.data_dir().join(ACCOUNTS_DIR))
            .map(|dir| {
                dir.filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
                    .count()
            })
            .unwrap_or(0)
    };
    sign_in_core(&core, &s.h.a.url).await;
    let alice = history(&core).await;
    alice.create_session(Some("Alice's")).await.expect("made");
    let cursor = alice.pull().await.expect("pulled").cursor;
    alice
        .client()
        .sign_out_with(AtSignOut::KeepCopy)
        .await
        .expect("signed out");
    assert_eq!(copies(), 1, "kept");

    sign_in_core_as(&core, &s.h.b.url, Some("user-bob")).await;
    let bob = history(&core).await;
    bob.pull().await.expect("bob pulls");
    let his = bob
        .copy()
        .expect("his copy")
        .chat()
        .list_sessions(None, None)
        .await
        .expect("listed");
    assert!(his.sessions.is_empty(), "none of alice's: {his:?}");
    assert_eq!(copies(), 2, "alice's kept beside his");
    bob.client().sign_out().await.expect("signed out");
    assert_eq!(copies(), 1, "his removed, hers kept");

    sign_in_core(&core, &s.h.a.url).await;
    let again = history(&core).await;
    let copy = again.copy().expect("her copy");
    assert_eq!(
        copy.cursor().await.expect("cursor"),
        cursor,
        "went on from it"
    );
    let held = copy.chat().list_sessions(None, None).await.expect("listed");
    assert_eq!(held.sessions.len(), 1);
    assert_eq!(held.sessions[0].title.as_deref(), Some("Alice's"));
    let marks = walk_files(&env.data_dir().join(ACCOUNTS_DIR));
    assert!(
        marks.iter().all(|f| !f.ends_with("kept-after-sign-out")),
        "in use again, no longer marked kept: {marks:?}"
    );
    again.client().sign_out().await.expect("signed out");
    assert_eq!(copies(), 0, "removed by default");
}

/// Every file under `dir`, recursively.
fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk_files(&path));
        } else {
            found.push(path);
        }
    }
    found
}
