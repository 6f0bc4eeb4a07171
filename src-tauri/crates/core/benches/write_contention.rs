//! Write contention across processes, figures in
//! docs/benchmarks.md: time from asking for the write lock to holding it,
//! p50 / p99 / max, for 40 processes each sending chat messages at once on
//! one profile, and how many sends failed.
//!
//! Two rows, measured in the same run on the same machine:
//! - **Banter**: real `banter-core` sends (pay, stream from the mock model,
//!   finish) in 40 child processes; the waits are the `wait_us` of every
//!   "write lock taken" event ([`banter_core::db::WRITE_LOCK_TARGET`]).
//! - **Floor — SQLite's busy handler alone**: 40 child processes running a
//!   raw `BEGIN IMMEDIATE; UPDATE; COMMIT` loop with the same busy timeout
//!   and nothing else: what writers get without Banter's queue.
//!
//! Run: `cargo bench -p banter-core --bench write_contention`.
//! `BANTER_BENCH_SENDS` sets the sends per process (default 5).

use anyhow::Context as _;
use banter_core::db::{BUSY_TIMEOUT, WRITE_LOCK_TARGET};
use banter_core::{Core, CoreOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::field::Visit;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

const PROCESSES: usize = 40;
const CHILD_ENV: &str = "BANTER_BENCH_CHILD";
const DIR_ENV: &str = "BANTER_BENCH_DIR";

fn main() -> anyhow::Result<()> {
    let sends: usize = std::env::var("BANTER_BENCH_SENDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let child = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the child's tokio runtime")?;
    match std::env::var(CHILD_ENV).as_deref() {
        Ok("banter") => {
            child.block_on(child_banter(sends));
            return Ok(());
        }
        Ok("raw") => {
            child.block_on(child_raw(sends));
            return Ok(());
        }
        _ => {}
    }
    // The parent serves the mock model while it waits for the children.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    rt.block_on(async {
        let mock = banter_mocks::start(banter_mocks::MockConfig::default())
            .await
            .context("starting the mock model on 127.0.0.1")?;
        println!("{PROCESSES} processes x {sends} writes each, 2 rows alternate x 2 runs");
        for run in 1..=2 {
            let raw = race("raw", sends, &mock.base_url()).await;
            report(&format!("run {run} floor: SQLite busy handler alone"), &raw);
            let banter = race("banter", sends, &mock.base_url()).await;
            report(&format!("run {run} Banter sends (all write txns)"), &banter);
        }
        Ok(())
    })
}

/// What the children of one row reported.
#[derive(Default)]
struct Outcome {
    waits_us: Vec<u64>,
    failures: usize,
    /// The last failure's code or message, to say what failed.
    failure: Option<String>,
    wall_ms: u128,
}

/// Starts [`PROCESSES`] children in `mode` on a fresh profile at once.
async fn race(mode: &str, sends: usize, mock_url: &str) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path(), mode).await;
    let exe = std::env::current_exe().expect("current exe");
    let started = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .env(CHILD_ENV, mode)
                .env(DIR_ENV, dir.path())
                .env("BANTER_BENCH_SENDS", sends.to_string())
                .env("BANTER_KEYRING", "off")
                .env("AZURE_OPENAI_ENDPOINT", mock_url)
                .env("AZURE_OPENAI_DEPLOYMENT", "o3-mini")
                .env("AZURE_OPENAI_KEY", "test-key")
                .env("AZURE_OPENAI_API_VERSION", "2025-04-01-preview")
                .env_remove("RUST_LOG")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    let mut outcome = Outcome::default();
    for child in children {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .expect("join")
            .expect("child");
        for line in BufReader::new(&out.stdout[..]).lines() {
            let line = line.expect("line");
            if let Some(us) = line.strip_prefix("wait_us ") {
                outcome.waits_us.push(us.parse().expect("number"));
            } else if let Some(why) = line.strip_prefix("failed ") {
                outcome.failures += 1;
                outcome.failure = Some(why.to_string());
            }
        }
    }
    outcome.wall_ms = started.elapsed().as_millis();
    outcome
}

/// A profile with credits for every send (Banter), or the raw table.
async fn prepare(dir: &Path, mode: &str) {
    if mode == "raw" {
        let mut conn = raw_conn(dir).await;
        sqlx::raw_sql(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
             INSERT INTO counter VALUES (1, 0);",
        )
        .execute(&mut conn)
        .await
        .expect("raw schema");
        return;
    }
    let core = open(dir).await;
    let user = core.user_id().to_string();
    core.ledger()
        .credit_purchase(&user, 100_000, "bench", None)
        .await
        .expect("credits");
    core.close().await;
}

async fn open(dir: &Path) -> Core {
    Core::open(CoreOptions {
        data_dir: Some(dir.to_path_buf()),
        ..CoreOptions::default()
    })
    .await
    .expect("open core")
}

async fn raw_conn(dir: &Path) -> sqlx::SqliteConnection {
    SqliteConnectOptions::new()
        .filename(dir.join("raw.db"))
        .create_if_missing(true)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await
        .expect("raw connection")
}

fn data_dir() -> PathBuf {
    PathBuf::from(std::env::var_os(DIR_ENV).expect("data dir"))
}

/// Child: real sends through the core; every write lock wait is printed.
async fn child_banter(sends: usize) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(WaitRecorder(waits.clone()));
    let _default = tracing::subscriber::set_default(subscriber);
    let core = open(&data_dir()).await;
    core.use_configured_provider().await.expect("provider");
    for i in 0..sends {
        let request = banter_core::chat::SendRequest {
            // A new session per send, as the app's "new chat" does.
            session: None,
            content: format!("contention {i}"),
            include_context: false,
            idempotency_key: None,
            edit_of: None,
            attachments: Vec::new(),
        };
        if let Err(e) = core.chat_engine().send(request).await {
            println!("failed {}", e.code());
        }
    }
    core.close().await;
    for us in waits.lock().expect("waits").iter() {
        println!("wait_us {us}");
    }
}

/// Child: the floor, a bare write loop with SQLite's busy handler.
async fn child_raw(sends: usize) {
    let mut conn = raw_conn(&data_dir()).await;
    // As many transactions as a Banter send takes (session, pay, finish).
    for _ in 0..sends * 3 {
        let asked = Instant::now();
        let begun = conn.begin_with("BEGIN IMMEDIATE").await;
        let mut tx = match begun {
            Ok(tx) => tx,
            Err(e) => {
                println!("failed {e}");
                continue;
            }
        };
        println!("wait_us {}", asked.elapsed().as_micros());
        let updated = sqlx::query("UPDATE counter SET n = n + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await;
        if let Err(e) = updated.map(|_| ()) {
            println!("failed {e}");
            continue;
        }
        if let Err(e) = tx.commit().await {
            println!("failed {e}");
        }
    }
    let _ = conn.close().await;
}

/// Collects `wait_us` from the core's "write lock taken" events.
struct WaitRecorder(Arc<Mutex<Vec<u64>>>);

impl<S: tracing::Subscriber> Layer<S> for WaitRecorder {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != WRITE_LOCK_TARGET {
            return;
        }
        struct Field(Option<u64>);
        impl Visit for Field {
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                if field.name() == "wait_us" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut field = Field(None);
        event.record(&mut field);
        if let Some(us) = field.0 {
            self.0.lock().expect("waits").push(us);
        }
    }
}

fn report(label: &str, outcome: &Outcome) {
    let mut waits = outcome.waits_us.clone();
    waits.sort_unstable();
    let pick = |q: f64| {
        let i = ((waits.len() as f64 - 1.0) * q).round() as usize;
        waits.get(i).map_or(0.0, |us| *us as f64 / 1000.0)
    };
    println!(
        "{label}: {} locks, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} failed, wall {} ms",
        waits.len(),
        pick(0.5),
        pick(0.99),
        waits.last().map_or(0.0, |us| *us as f64 / 1000.0),
        outcome.failures,
        outcome.wall_ms
    );
    if let Some(why) = &outcome.failure {
        println!("  last failure: {why}");
    }
}
