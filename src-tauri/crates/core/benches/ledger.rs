//! Credit spends per second on a file database in WAL mode: one writer in a
//! loop, and 8 concurrent tasks contending for SQLite's single write lock.
//! Beside them, the floor: the same two loops of a bare sqlx transaction
//! (`BEGIN IMMEDIATE`, one `UPDATE`, one `INSERT`, `COMMIT`) on one held
//! connection with the same pragmas — what a spend would cost with nothing
//! of Banter's around it. Figures are recorded in docs/benchmarks.md.

use banter_core::clock::SystemClock;
use banter_core::ledger::{Action, SpendRequest};
use banter_core::Core;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Unique idempotency keys across every iteration.
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

fn request(core: &Core) -> SpendRequest {
    SpendRequest {
        user_id: core.user_id().to_string(),
        action: Action::ChatMessage,
        idempotency_key: format!("bench-{}", NEXT_KEY.fetch_add(1, Ordering::Relaxed)),
        reference: None,
        fingerprint: None,
    }
}

/// A fresh profile with enough purchased credits for any run.
async fn funded_core(dir: &std::path::Path) -> Core {
    let core = Core::open_file(&dir.join("bench.db"), Arc::new(SystemClock))
        .await
        .expect("open core");
    core.ledger()
        .credit_purchase(core.user_id(), 1_000_000_000_000, "bench-funding", None)
        .await
        .expect("fund profile");
    core
}

fn spends(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let core = rt.block_on(funded_core(dir.path()));

    let mut group = c.benchmark_group("ledger_spend");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));

    group.bench_function("one_writer", |b| {
        b.to_async(&rt)
            .iter(|| async { core.ledger().spend(request(&core)).await.expect("spend") });
    });

    group.bench_function("8_concurrent_tasks", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let per_task = iters.div_ceil(TASKS);
                let start = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let core = core.clone();
                        tokio::spawn(async move {
                            for _ in 0..per_task {
                                core.ledger().spend(request(&core)).await.expect("spend");
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("task");
                }
                // Scale to the requested count (per_task * 8 may exceed iters).
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (per_task * TASKS) as f64)
            })
        });
    });
    group.finish();

    rt.block_on(async {
        core.ledger()
            .verify(core.user_id())
            .await
            .expect("ledger adds up after the benchmark");
    });
}

/// Tasks in the concurrent runs.
const TASKS: u64 = 8;

/// The floor's database: a bucket row and an append-only table with a
/// unique key, as the ledger has, on a held connection opened with the
/// core's pragmas.
async fn floor_connection(dir: &std::path::Path) -> SqliteConnection {
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("floor.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        .disable_statement_logging()
        .connect()
        .await
        .expect("open the floor database");
    sqlx::raw_sql(
        "CREATE TABLE buckets (user_id TEXT PRIMARY KEY, remaining INTEGER NOT NULL CHECK (remaining >= 0));
         CREATE TABLE entries (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, amount INTEGER NOT NULL,
                               idempotency_key TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
         INSERT INTO buckets VALUES ('floor', 1000000000000);",
    )
    .execute(&mut conn)
    .await
    .expect("floor schema");
    conn
}

/// One floor transaction: the bucket moves, the entry is appended.
async fn floor_spend(conn: &mut SqliteConnection) {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.expect("begin");
    sqlx::query(
        "UPDATE buckets SET remaining = remaining - 3 WHERE user_id = 'floor' AND remaining >= 3",
    )
    .execute(&mut *tx)
    .await
    .expect("update");
    sqlx::query("INSERT INTO entries (user_id, amount, idempotency_key, created_at) VALUES ('floor', -3, ?, ?)")
        .bind(format!("floor-{}", NEXT_KEY.fetch_add(1, Ordering::Relaxed)))
        .bind(chrono::Utc::now())
        .execute(&mut *tx)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
}

fn floor(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = Arc::new(tokio::sync::Mutex::new(
        rt.block_on(floor_connection(dir.path())),
    ));

    let mut group = c.benchmark_group("floor_held_connection");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));

    group.bench_function("one_writer", |b| {
        b.to_async(&rt)
            .iter(|| async { floor_spend(&mut *conn.lock().await).await });
    });

    group.bench_function("8_concurrent_tasks", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let per_task = iters.div_ceil(TASKS);
                let start = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let conn = conn.clone();
                        tokio::spawn(async move {
                            for _ in 0..per_task {
                                floor_spend(&mut *conn.lock().await).await;
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("task");
                }
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (per_task * TASKS) as f64)
            })
        });
    });
    group.finish();
}

criterion_group!(benches, spends, floor);
criterion_main!(benches);
