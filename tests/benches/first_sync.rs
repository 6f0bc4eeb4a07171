//! A new device's first sync of an account with [`MESSAGES`] messages,
//! figures in docs/benchmarks.md ("Sync across devices"): the device signs
//! in and pulls the whole change feed into its copy (`HostedHistory::pull`:
//! every page read, then applied to the copy's SQLite in one transaction),
//! against the floor of the same pages fetched by a bare HTTP client and
//! thrown away, measured alternately in the same run. The account's
//! messages are written with the server's own statements (no model).
//!
//! The bytes on the wire are the server bench's figure (`cargo bench -p
//! banter-server --bench hosted`, "first pull"): the same pages.
//!
//! Run: `cargo bench -p banter-tests --bench first_sync`.

use anyhow::Context as _;
use banter_core::chat::rows::ChatRows;
use banter_core::chat::{MessageStatus, NewMessage, Role};
use banter_tests::hosted::{sign_in_core, Chatting};
use banter_tests::Env;
use std::time::{Duration, Instant};

/// Messages of the account (in sessions of [`PER_SESSION`]).
const MESSAGES: usize = 10_000;
const PER_SESSION: usize = 100;
/// Alternating runs of each side; medians reported.
const RUNS: usize = 3;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()?;
    runtime.block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    let s = Chatting::start().await;
    // The account: signed in once to learn who it is, then filled.
    let first_env = Env::new("2026-03-10T12:00:00Z");
    let first = first_env.open().await;
    sign_in_core(&first, &s.h.a.url).await;
    let account = first.hosted().account().await?.context("signed in")?;
    fill(&s, &account.user_id, &account.device_id).await?;

    let (mut device, mut floor, mut changes) = (Vec::new(), Vec::new(), 0);
    for _ in 0..RUNS {
        // The floor: the same pages through a bare client, as the first
        // device (its token).
        let client = first.hosted().current().await?.context("signed in")?;
        let started = Instant::now();
        let (mut after, mut read) = (0_i64, 0_usize);
        loop {
            let page = client
                .changes(after, banter_core::hosted::CHANGES_PAGE)
                .await?;
            read += page.changes.len();
            let moved = page.cursor > after;
            after = page.cursor.max(after);
            if !page.more || !moved {
                break;
            }
        }
        floor.push(started.elapsed());
        changes = read;

        // A new device: a fresh profile signs in and pulls into its copy.
        let env = Env::new("2026-03-10T12:00:00Z");
        let core = env.open().await;
        sign_in_core(&core, &s.h.b.url).await;
        let history = core.hosted().history().await?.context("signed in")?;
        let started = Instant::now();
        let pulled = history.pull().await?;
        device.push(started.elapsed());
        anyhow::ensure!(
            pulled.changes == read,
            "the device pulled {} changes, the floor read {read}",
            pulled.changes
        );
        let held = history
            .copy()
            .context("a copy")?
            .chat()
            .list_sessions(None, Some(1000))
            .await?;
        anyhow::ensure!(held.sessions.len() == MESSAGES / PER_SESSION);
        core.close().await;
    }
    let (d, f) = (median(&mut device), median(&mut floor));
    println!(
        "first sync of {MESSAGES} messages ({changes} changes): new device {:.0} ms (pull and apply), bare pull of the same pages {:.0} ms; ratio {:.2}",
        ms(d),
        ms(f),
        d.as_secs_f64() / f.as_secs_f64()
    );
    Ok(())
}

/// [`MESSAGES`] messages in sessions of [`PER_SESSION`], one path each.
async fn fill(s: &Chatting, user_id: &str, device_id: &str) -> anyhow::Result<()> {
    let state = &s.h.a.state;
    let caller = banter_server::auth::Caller {
        user_id: user_id.to_string(),
        device_id: device_id.to_string(),
    };
    let chat = banter_server::routes::sessions::chat_for(state, &caller);
    let text = "A message of ordinary length, about as long as a question to a model usually is.";
    for n in 0..MESSAGES / PER_SESSION {
        let session = chat.create_session(Some(&format!("Session {n}"))).await?;
        let mut tx = state.store.pool().begin().await?;
        let mut parent = None;
        for m in 0..PER_SESSION {
            let message = NewMessage {
                session_id: session.id,
                parent_id: parent,
                role: if m.is_multiple_of(2) {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: text,
                status: MessageStatus::Complete,
                credits_used: 0,
                tokens: None,
                spend_id: None,
                at: state.clock.now(),
            };
            parent = Some(tx.insert_message(user_id, message, None).await?.id);
        }
        tx.commit().await?;
    }
    Ok(())
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
