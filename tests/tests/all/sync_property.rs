//! Convergence under random interleavings: two devices of one account, each
//! through a network of its own that goes down and comes back at random,
//! make 100 random edits (conversations renamed, deleted, made, sent to;
//! projects and tasks made and changed, online and offline) and pull at
//! random. Once both networks are back and both have pulled, the server,
//! the first device's copy and the second's hold the same conversations,
//! messages, projects and tasks, and nothing is left queued.
//!
//! The interleaving comes from a seeded generator; the seed is printed on
//! failure (`BANTER_SYNC_SEED=N` replays one).

use banter_core::chat::Role;
use banter_core::hosted::{HostedHistory, HostedSend, Pushed};
use banter_core::ids::RecordRef;
use banter_core::projects::{NewTask, TaskFilter, TaskStatus, TaskUpdate};
use banter_core::{Core, ErrorCode};
use banter_mocks::gateway::Gateway;
use banter_tests::hosted::{sign_in_core, Chatting};
use banter_tests::Env;
use serde_json::{json, Value};

/// The seed the suite runs with (any other can be given to replay one).
const SEED: u64 = 20_261_129;
/// Edits (and network changes and pulls) in one run.
const STEPS: usize = 100;
/// Sends at most, so the account's free credits always cover them.
const MOST_SENDS: usize = 8;

/// One device: its profile, its network and what it has made (records it
/// may name: the server's ids, or its own provisional ones).
struct Device {
    _env: Env,
    core: Core,
    network: Gateway,
    up: bool,
}

impl Device {
    async fn history(&self) -> HostedHistory {
        self.core
            .hosted()
            .history()
            .await
            .expect("settings")
            .expect("signed in")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_edits_from_two_devices_with_disconnects_converge() {
    let seed = std::env::var("BANTER_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let s = Chatting::start().await;
    let mut devices = Vec::new();
    for url in [&s.h.a.url, &s.h.b.url] {
        let target = url.trim_start_matches("http://").parse().expect("address");
        let network = Gateway::start(target).await.expect("gateway");
        let env = Env::new("2026-03-10T12:00:00Z");
        let core = env.open().await;
        sign_in_core(&core, &network.url()).await;
        devices.push(Device {
            _env: env,
            core,
            network,
            up: true,
        });
    }
    let outcome = run(seed, &mut devices).await;
    if let Err(failure) = outcome {
        panic!("sync did not converge with seed {seed} (BANTER_SYNC_SEED={seed} replays it): {failure}");
    }
}

/// The random run, then the check; `Err` says what differed.
async fn run(seed: u64, devices: &mut [Device]) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    for device in devices.iter() {
        device
            .history()
            .await
            .pull()
            .await
            .map_err(|e| format!("first pull: {e}"))?;
    }
    // Records each device may name: sessions by server id; projects and
    // tasks by the reference it was given (provisional while offline).
    let mut sessions: Vec<i64> = Vec::new();
    let mut projects: [Vec<RecordRef>; 2] = [Vec::new(), Vec::new()];
    let mut tasks: [Vec<RecordRef>; 2] = [Vec::new(), Vec::new()];
    let mut sends = 0;
    let mut log = Vec::new();
    for step in 0..STEPS {
        let d = rng.usize(0..2);
        let history = devices[d].history().await;
        let roll = rng.u32(0..100);
        let (what, done): (String, Result<(), banter_core::Error>) = match roll {
            0..12 => {
                let device = &mut devices[d];
                device.up = !device.up;
                device.network.set_up(device.up);
                (
                    format!("network {}", if device.up { "up" } else { "down" }),
                    Ok(()),
                )
            }
            12..28 if !sessions.is_empty() => {
                let id = sessions[rng.usize(0..sessions.len())];
                let title = format!("title {step}");
                let done = history.rename(&RecordRef::Id(id), &title).await.map(drop);
                (format!("rename {id} to {title:?}"), done)
            }
            28..34 if !sessions.is_empty() => {
                let id = sessions[rng.usize(0..sessions.len())];
                (
                    format!("delete {id}"),
                    history.delete(&RecordRef::Id(id)).await.map(drop),
                )
            }
            34..46 => {
                let made = history.create_session(Some(&format!("made {step}"))).await;
                if let Ok(session) = &made {
                    sessions.push(session.id);
                }
                ("create session".into(), made.map(drop))
            }
            46..54 if !sessions.is_empty() && sends < MOST_SENDS => {
                let id = sessions[rng.usize(0..sessions.len())];
                let sent = history
                    .send(
                        HostedSend {
                            session: Some(RecordRef::Id(id)),
                            content: format!("message {step}"),
                            include_context: false,
                            idempotency_key: None,
                            edit_of: None,
                            attachments: Vec::new(),
                        },
                        |_| {},
                    )
                    .await;
                if sent.is_ok() {
                    sends += 1;
                }
                (format!("send into {id}"), sent.map(drop))
            }
            54..66 => {
                let made = history
                    .projects()
                    .create_project(&format!("project {step}"), "")
                    .await;
                if let Ok(project) = &made {
                    projects[d].push(RecordRef::Display(project.display_id.clone()));
                }
                ("create project".into(), made.map(drop))
            }
            66..80 if !projects[d].is_empty() => {
                let project = projects[d][rng.usize(0..projects[d].len())].clone();
                let task = NewTask {
                    title: format!("task {step}"),
                    ..NewTask::default()
                };
                let made = history.projects().add_task(&project, &task).await;
                if let Ok(task) = &made {
                    tasks[d].push(RecordRef::Display(task.display_id.clone()));
                }
                (format!("add a task to {project}"), made.map(drop))
            }
            80..92 if !tasks[d].is_empty() => {
                let task = tasks[d][rng.usize(0..tasks[d].len())].clone();
                let status =
                    [TaskStatus::Todo, TaskStatus::InProgress, TaskStatus::Done][rng.usize(0..3)];
                let update = TaskUpdate {
                    status: Some(status),
                    ..TaskUpdate::default()
                };
                let done = history
                    .projects()
                    .update_task(&task, &update)
                    .await
                    .map(drop);
                (format!("task {task} to {status:?}"), done)
            }
            _ => ("pull".into(), history.pull().await.map(drop)),
        };
        let outcome = match &done {
            Ok(()) => "ok".to_string(),
            Err(e) => e.code().to_string(),
        };
        log.push(format!("{step}: device {d}: {what}: {outcome}"));
        if let Err(e) = done {
            // What a device may be told: the server is away (paid actions
            // and new conversations need it), or the record is gone
            // (deleted by the other device).
            if !matches!(e.code(), ErrorCode::Offline | ErrorCode::NotFound) {
                return Err(format!("unexpected error {e}\n{}", log.join("\n")));
            }
        }
    }

    // Both networks back; each pushes and pulls until both have seen the
    // other's last push.
    for device in devices.iter_mut() {
        device.up = true;
        device.network.set_up(true);
    }
    for _ in 0..2 {
        for device in devices.iter() {
            device
                .history()
                .await
                .pull()
                .await
                .map_err(|e| format!("final pull: {e}"))?;
        }
    }
    for (n, device) in devices.iter().enumerate() {
        let left = device
            .history()
            .await
            .push()
            .await
            .map_err(|e| e.to_string())?;
        if left != Pushed::default() {
            return Err(format!("device {n} still had edits queued: {left:?}"));
        }
    }
    let server = on_server(&devices[0].history().await).await?;
    for (n, device) in devices.iter().enumerate() {
        let copy = in_copy(&device.history().await).await?;
        if copy != server {
            return Err(format!(
                "device {n}'s copy differs from the server\nserver: {server:#}\ncopy:   {copy:#}\n{}",
                log.join("\n")
            ));
        }
    }
    let listed = server["sessions"].as_array().map_or(0, Vec::len);
    let made = server["projects"].as_array().map_or(0, Vec::len);
    assert!(listed > 0 && made > 0, "the run made something: {server}");
    Ok(())
}

/// The account as the server holds it, as comparable JSON.
async fn on_server(history: &HostedHistory) -> Result<Value, String> {
    let client = history.client();
    let page = client
        .sessions(None, Some(200))
        .await
        .map_err(|e| e.to_string())?;
    let mut sessions = Vec::new();
    for session in &page.sessions {
        let messages = client
            .messages(&RecordRef::Id(session.id), None, Some(200))
            .await
            .map_err(|e| e.to_string())?;
        sessions.push(session_json(session, &messages.messages));
    }
    let projects = client
        .projects(true, Some(200))
        .await
        .map_err(|e| e.to_string())?;
    let tasks = client
        .tasks(&TaskFilter::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(account_json(sessions, &projects, &tasks))
}

/// The account as a device's copy holds it, as comparable JSON.
async fn in_copy(history: &HostedHistory) -> Result<Value, String> {
    let copy = history.copy().ok_or("no copy")?;
    let page = copy
        .chat()
        .list_sessions(None, Some(200))
        .await
        .map_err(|e| e.to_string())?;
    let mut sessions = Vec::new();
    for session in &page.sessions {
        let messages = copy
            .chat()
            .list_messages(&RecordRef::Id(session.id), None, Some(200))
            .await
            .map_err(|e| e.to_string())?;
        sessions.push(session_json(session, &messages.messages));
    }
    let projects = copy
        .projects()
        .list_projects(true, Some(200))
        .await
        .map_err(|e| e.to_string())?;
    let tasks = copy
        .projects()
        .list_tasks(&TaskFilter::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(account_json(sessions, &projects, &tasks))
}

fn session_json(
    session: &banter_core::chat::ChatSession,
    messages: &[banter_core::chat::ChatMessage],
) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!([
                m.id,
                if m.role == Role::User {
                    "user"
                } else {
                    "assistant"
                },
                m.content,
                m.status
            ])
        })
        .collect();
    json!({
        "id": session.id,
        "displayId": session.display_id,
        "title": session.title,
        "messageCount": session.message_count,
        "messages": messages,
    })
}

fn account_json(
    mut sessions: Vec<Value>,
    projects: &[banter_core::projects::Project],
    tasks: &[banter_core::projects::Task],
) -> Value {
    sessions.sort_by_key(|s| s["id"].as_i64());
    let mut projects: Vec<Value> = projects
        .iter()
        .map(|p| {
            json!([
                p.id,
                p.display_id,
                p.name,
                p.status,
                p.open_tasks,
                p.total_tasks
            ])
        })
        .collect();
    projects.sort_by_key(|p| p[0].as_i64());
    let mut tasks: Vec<Value> = tasks
        .iter()
        .map(|t| json!([t.id, t.display_id, t.project_display_id, t.title, t.status]))
        .collect();
    tasks.sort_by_key(|t| t[0].as_i64());
    json!({"sessions": sessions, "projects": projects, "tasks": tasks})
}
