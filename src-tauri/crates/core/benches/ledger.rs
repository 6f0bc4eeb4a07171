//! Credit spends per second on a file database in WAL mode: one writer in a
//! loop, and 8 concurrent tasks contending for SQLite's single write lock.
//! Figures are recorded in docs/benchmarks.md.

use banter_core::clock::SystemClock;
use banter_core::ledger::{Action, SpendRequest};
use banter_core::Core;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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
                let per_task = iters.div_ceil(8);
                let start = Instant::now();
                let tasks: Vec<_> = (0..8)
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
                    .mul_f64(iters as f64 / (per_task * 8) as f64)
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

criterion_group!(benches, spends);
criterion_main!(benches);
