//! Several cores opening one database at once, as the app and the CLI may on
//! the same machine: they must all open, share one profile, and the signup
//! grant must be written once.

use banter_core::ledger::EntryKind;
use banter_core::Core;
use banter_tests::{assert_ledger, rows_of_kind, Env};
use std::sync::mpsc;
use std::time::Duration;

/// Opens `n` cores on `env`'s database at once; returns each core, or the
/// error's code and message.
async fn open_at_once(env: &Env, n: usize) -> Vec<Result<Core, String>> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let options = env.options();
            tokio::spawn(async move { Core::open(options).await })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(
            h.await
                .expect("an open task panicked")
                .map_err(|e| format!("{}: {e}", e.code())),
        );
    }
    out
}

async fn assert_one_profile(cores: &[Core]) {
    let first = cores[0].user_id();
    assert!(cores.iter().all(|c| c.user_id() == first), "one profile");
    assert_eq!(
        rows_of_kind(&cores[0], EntryKind::SignupGrant).await.len(),
        1
    );
    assert_ledger(&cores[0], 1, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cores_opening_an_existing_database_at_once_share_its_profile() {
    for _ in 0..20 {
        let env = Env::new("2026-03-10T09:00:00Z");
        let first = env.open().await;
        let cores: Vec<Core> = open_at_once(&env, 3)
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(cores[0].user_id(), first.user_id());
        assert_one_profile(&cores).await;
    }
}

/// Regression: two cores (processes) creating a fresh database at the same
/// moment used to fail now and then with "database is locked": switching a
/// new file to WAL needs an exclusive lock that SQLite's busy timeout does not
/// wait for. `Db::open` now holds `banter.db.open-lock` from before the first
/// connection. 100 fresh rounds made the old failure near-certain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_cores_creating_a_fresh_database_at_once_both_open() {
    let mut failures = Vec::new();
    for round in 0..100 {
        let env = Env::new("2026-03-10T09:00:00Z");
        let mut cores = Vec::new();
        for outcome in open_at_once(&env, 2).await {
            match outcome {
                Ok(core) => cores.push(core),
                Err(e) => failures.push(format!("round {round}: {e}")),
            }
        }
        if cores.len() == 2 {
            assert_one_profile(&cores).await;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed opens: {failures:#?}",
        failures.len()
    );
}

/// Regression: the open lock used to be taken with the blocking `flock` on
/// a tokio worker thread, so opening as many cores at once as there are
/// workers deadlocked. It is now taken on a blocking thread. Runs on its own
/// runtime with a watchdog, so a deadlock fails the test instead of hanging.
#[test]
fn opening_as_many_cores_as_worker_threads_at_once_does_not_deadlock() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let options = env.options();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let opened = runtime.block_on(async move {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let options = options.clone();
                    tokio::spawn(async move { Core::open(options).await.is_ok() })
                })
                .collect();
            let mut opened = 0;
            for h in handles {
                if h.await.unwrap() {
                    opened += 1;
                }
            }
            opened
        });
        let _ = done.send(opened);
    });
    // A liveness guard, not a timing assertion: a healthy run takes
    // milliseconds; a deadlock never ends.
    match finished.recv_timeout(Duration::from_secs(20)) {
        Ok(opened) => assert_eq!(opened, 4),
        Err(_) => panic!("4 concurrent Core::open calls on 2 worker threads deadlocked"),
    }
}

/// Regression: a pool told to keep a minimum of connections opens a second
/// one in the background while the first may still be switching a brand-new
/// file to WAL; once in a full `make test` on a loaded machine an open failed
/// with "database is locked". A core alone on a fresh database must always
/// open (the race is rare: this guards it, many rounds, not every run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_core_alone_on_a_fresh_database_always_opens() {
    let mut failures = Vec::new();
    for round in 0..300 {
        let env = Env::new("2026-03-10T09:00:00Z");
        match env.try_open().await {
            Ok(core) => core.close().await,
            Err(e) => failures.push(format!("round {round}: {}: {e}", e.code())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed opens: {failures:#?}",
        failures.len()
    );
}
