//! Concurrent spenders can never overdraw: 64 chat messages (3 credits each)
//! race for a fresh profile's 100 credits, from one connection pool and from
//! two pools on the same file (as the app and the CLI would). Exactly 33 win,
//! every loser sees `insufficient_credits { needed: 3, available: 1 }`, and
//! the ledger adds up to the final balance of 1.
//!
//! Why a loser can only report `available: 1`: spends are serialised by
//! SQLite's write lock (`BEGIN IMMEDIATE`), so the balance walks 100, 97, ...,
//! 4, 1 one spend at a time. A spend fails only when the balance is below 3,
//! and the only balance below 3 that the walk ever reaches is 1.

use banter_core::ledger::{Action, EntryKind, LedgerError};
use banter_core::{Core, Error};
use banter_tests::{assert_ledger, ledger_rows, spend, Env};

/// Spawns one tokio task per key, each paying for a chat message on `core`.
fn spawn_spenders(
    core: &Core,
    keys: impl Iterator<Item = String>,
) -> Vec<tokio::task::JoinHandle<Result<i64, Error>>> {
    keys.map(|key| {
        let core = core.clone();
        tokio::spawn(async move {
            spend(&core, Action::ChatMessage, &key)
                .await
                .map(|r| r.entry.id)
        })
    })
    .collect()
}

/// Joins the spenders; returns (ids of the winning spends, number of losers).
/// Any error other than the exact insufficient-credits one fails the test.
async fn tally(handles: Vec<tokio::task::JoinHandle<Result<i64, Error>>>) -> (Vec<i64>, usize) {
    let mut won = Vec::new();
    let mut lost = 0;
    for handle in handles {
        match handle.await.expect("spender task panicked") {
            Ok(id) => won.push(id),
            Err(Error::Ledger(LedgerError::InsufficientCredits {
                needed: 3,
                available: 1,
            })) => lost += 1,
            Err(other) => panic!("unexpected spend failure: {other:?} ({})", other.code()),
        }
    }
    (won, lost)
}

/// The winning spends' `balance_after`, sorted: must be 1, 4, ..., 97.
async fn assert_spend_walk(core: &Core) {
    let mut afters: Vec<i64> = ledger_rows(core)
        .await
        .iter()
        .filter(|e| e.kind == EntryKind::Spend)
        .map(|e| {
            assert_eq!(e.amount, -3, "spend {e:?}");
            assert_eq!(e.free_delta, -3, "spend {e:?}");
            e.balance_after
        })
        .collect();
    afters.sort_unstable();
    let expected: Vec<i64> = (0..33).map(|i| 1 + 3 * i).collect();
    assert_eq!(afters, expected, "each winner saw a distinct balance");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_spenders_one_pool_exactly_33_win() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    assert_eq!(core.balance().await.unwrap().remaining, 100);

    let handles = spawn_spenders(&core, (0..64).map(|i| format!("race-{i}")));
    let (won, lost) = tally(handles).await;

    assert_eq!(won.len(), 33, "winners");
    assert_eq!(lost, 31, "losers");
    let mut unique = won.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 33, "every winner has its own ledger row");

    let balance = core.balance().await.unwrap();
    assert_eq!(balance.remaining, 1);
    assert_eq!(balance.free_remaining, 1);
    assert_eq!(balance.purchased_remaining, 0);
    assert_ledger(&core, 1 + 33, 1).await;
    assert_spend_walk(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_spenders_two_pools_on_one_file_exactly_33_win() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let a = env.open().await;
    let b = env.open().await;
    assert_eq!(a.user_id(), b.user_id(), "one profile per database");

    // Interleave the two pools' tasks so both contend from the start.
    let mut handles = Vec::new();
    for i in 0..32 {
        handles.extend(spawn_spenders(&a, std::iter::once(format!("a-{i}"))));
        handles.extend(spawn_spenders(&b, std::iter::once(format!("b-{i}"))));
    }
    assert_eq!(handles.len(), 64);
    let (won, lost) = tally(handles).await;

    assert_eq!(won.len(), 33, "winners across both pools");
    assert_eq!(lost, 31, "losers across both pools");
    assert_eq!(a.balance().await.unwrap().remaining, 1);
    assert_eq!(b.balance().await.unwrap().remaining, 1);
    assert_ledger(&a, 1 + 33, 1).await;
    assert_ledger(&b, 1 + 33, 1).await;
    assert_spend_walk(&a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_drained_profile_refuses_every_further_spend() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let (won, lost) = tally(spawn_spenders(&core, (0..40).map(|i| format!("k-{i}")))).await;
    assert_eq!((won.len(), lost), (33, 7));

    // Larger actions fail with the real remaining balance.
    let err = spend(&core, Action::UrlScrape, "scrape").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Ledger(LedgerError::InsufficientCredits {
                needed: 5,
                available: 1
            })
        ),
        "{err:?}"
    );
    assert_ledger(&core, 34, 1).await;
}
