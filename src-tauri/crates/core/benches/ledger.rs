//! Credit spends per second on a file database in WAL mode: one writer in a
//! loop, and 8 concurrent tasks contending for SQLite's single write lock.
//! Beside them, the floor: the same two loops of a bare sqlx transaction
//! (`BEGIN IMMEDIATE`, one `UPDATE`, one `INSERT`, `COMMIT`) on one held
//! connection with the same pragmas — what a spend would cost with nothing
//! of Banter's around it. The alternating rounds add a third contender,
//! Banter's own statements (the spend's read and ledger `INSERT`, with its
//! trigger, indexes and checks) run bare on a held connection to Banter's
//! database: it splits the gap into what SQLite spends on the ledger's
//! invariants and what the core's code around them costs. Figures are
//! recorded in docs/benchmarks.md.

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

/// A held connection to Banter's own database file (the bench profile's),
/// opened with the core's pragmas, for [`statements_spend`].
async fn statements_connection(dir: &std::path::Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(dir.join("bench.db"))
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        .disable_statement_logging()
        .connect()
        .await
        .expect("open Banter's database")
}

/// One spend as the ledger's statements make it, with nothing of the core
/// around them: `BEGIN IMMEDIATE`, the buckets read with the key lookup
/// (`ledger/sqlite_rows.rs: load_for_change`), the ledger row inserted
/// (its `AFTER INSERT` trigger moves the buckets and checks
/// `balance_after`), `COMMIT`. Free credits first, as `ledger/ops.rs` takes
/// them.
async fn statements_spend(conn: &mut SqliteConnection, user_id: &str) {
    let key = format!("statements-{}", NEXT_KEY.fetch_add(1, Ordering::Relaxed));
    let cost = Action::ChatMessage.cost();
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.expect("begin");
    let (free, purchased, _used_by, _fingerprint): (i64, i64, Option<i64>, Option<String>) =
        sqlx::query_as(
            "SELECT free_remaining, purchased_remaining,
                    (SELECT id FROM credit_transactions WHERE idempotency_key = ?2),
                    (SELECT request_fingerprint FROM credit_transactions WHERE idempotency_key = ?2)
               FROM user_usage WHERE user_id = ?1",
        )
        .bind(user_id)
        .bind(&key)
        .fetch_one(&mut *tx)
        .await
        .expect("read");
    let free_take = free.min(cost);
    sqlx::query(
        "INSERT INTO credit_transactions
            (user_id, kind, action, amount, free_delta, purchased_delta, nominal_cost,
             balance_after, reference, refund_of, idempotency_key, request_fingerprint, created_at)
         VALUES (?, 'spend', 'chat_message', ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, ?)",
    )
    .bind(user_id)
    .bind(-cost)
    .bind(-free_take)
    .bind(-(cost - free_take))
    .bind(cost)
    .bind(free + purchased - cost)
    .bind(&key)
    .bind(chrono::Utc::now())
    .execute(&mut *tx)
    .await
    .expect("insert");
    tx.commit().await.expect("commit");
}

/// Rounds of [`alternating_ratio`]; spends per contender per round.
const ROUNDS: usize = 9;
const SPENDS_PER_ROUND: u64 = 800;

/// Banter ÷ floor measured side by side: rounds alternate a block of
/// Banter's spends and a block of floor transactions (the order flips each
/// round), so load from outside the benchmark falls on both alike; prints
/// the median time per spend of each and the ratio of throughputs, one
/// writer and [`TASKS`] tasks. (Criterion's groups above run one after the
/// other, minutes apart, which on a shared machine can move a ratio by
/// half.)
fn alternating_ratio(_: &mut Criterion) {
    // Not a Criterion benchmark, so its name filter must be honoured here:
    // `cargo bench --bench ledger -- spends` runs no alternating rounds.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|f| "alternating_ratio".contains(f.as_str()))
    {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let core = rt.block_on(funded_core(dir.path()));
    let conn = Arc::new(tokio::sync::Mutex::new(
        rt.block_on(floor_connection(dir.path())),
    ));
    let own = Arc::new(tokio::sync::Mutex::new(
        rt.block_on(statements_connection(dir.path())),
    ));
    let user_id: Arc<str> = Arc::from(core.user_id());
    for tasks in [1, TASKS] {
        let (mut banter, mut floor, mut statements) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let banter_block = || {
                timed(&rt, tasks, {
                    let core = core.clone();
                    move || {
                        let core = core.clone();
                        async move {
                            core.ledger().spend(request(&core)).await.expect("spend");
                        }
                    }
                })
            };
            let floor_block = || {
                timed(&rt, tasks, {
                    let conn = conn.clone();
                    move || {
                        let conn = conn.clone();
                        async move { floor_spend(&mut *conn.lock().await).await }
                    }
                })
            };
            let statements_block = || {
                timed(&rt, tasks, {
                    let own = own.clone();
                    let user_id = user_id.clone();
                    move || {
                        let own = own.clone();
                        let user_id = user_id.clone();
                        async move { statements_spend(&mut *own.lock().await, &user_id).await }
                    }
                })
            };
            // Each contender first, middle and last in turn.
            match round % 3 {
                0 => {
                    banter.push(banter_block());
                    floor.push(floor_block());
                    statements.push(statements_block());
                }
                1 => {
                    floor.push(floor_block());
                    statements.push(statements_block());
                    banter.push(banter_block());
                }
                _ => {
                    statements.push(statements_block());
                    banter.push(banter_block());
                    floor.push(floor_block());
                }
            }
        }
        let (banter, floor, statements) = (median(banter), median(floor), median(statements));
        println!(
            "alternating, {tasks} task(s), {ROUNDS} rounds of {SPENDS_PER_ROUND}: Banter {banter:.1} µs/spend, \
             floor {floor:.1} µs/transaction, Banter ÷ floor throughput {:.2}; \
             Banter's own statements bare {statements:.1} µs/spend, their ÷ floor {:.2}, Banter ÷ them {:.2}",
            floor / banter,
            floor / statements,
            statements / banter
        );
    }
    rt.block_on(async {
        core.ledger()
            .verify(core.user_id())
            .await
            .expect("ledger adds up after the benchmark");
    });
}

/// Microseconds per operation for [`SPENDS_PER_ROUND`] operations split
/// over `tasks` tasks.
fn timed<F, Fut>(rt: &tokio::runtime::Runtime, tasks: u64, op: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let op = op.clone();
                tokio::spawn(async move {
                    for _ in 0..SPENDS_PER_ROUND / tasks {
                        op().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task");
        }
        start.elapsed().as_secs_f64() * 1e6 / (SPENDS_PER_ROUND / tasks * tasks) as f64
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

criterion_group!(benches, spends, floor, alternating_ratio);
criterion_main!(benches);
