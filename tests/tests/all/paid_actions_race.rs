//! Chat messages (3), project generations (15) and URL scrapes (5) race for
//! the last 20 credits against the mocks over real HTTP. Some of each kind
//! are scripted to fail after paying (an unusable plan, a missing page).
//! The balance never goes below zero (every announced balance and the final
//! one), each success paid exactly its price once, each failure after
//! paying was refunded, each refusal wrote nothing, and the ledger adds up.

use banter_core::chat::SendRequest;
use banter_core::events::DomainEvent;
use banter_core::ids::RecordRef;
use banter_core::ledger::{Action, EntryKind, LedgerEntry, LedgerError};
use banter_core::projects::GenerateRequest;
use banter_core::scrape::{ScrapeLimits, ScrapeRequest};
use banter_core::Error;
use banter_core::ErrorCode;
use banter_mocks::site::{self, SiteConfig};
use banter_mocks::MockConfig;
use banter_tests::{ledger_rows, spend_down_to, use_mock_model, verify, Env};
use std::collections::HashSet;
use std::time::Duration;

/// How one racer ended.
#[derive(Debug)]
enum Outcome {
    /// Done; this spend paid for it.
    Paid(Action, LedgerEntry),
    /// Failed after paying (scripted); refunded.
    Refunded(Action),
    /// Refused for lack of credits; nothing written.
    Refused(Action),
}

fn judge(action: Action, result: Result<LedgerEntry, Error>) -> Outcome {
    match result {
        Ok(spend) => Outcome::Paid(action, spend),
        Err(Error::Ledger(LedgerError::InsufficientCredits { needed, available })) => {
            assert_eq!(needed, action.cost());
            assert!(available < needed && available >= 0, "{available}");
            Outcome::Refused(action)
        }
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::InvalidModelOutput | ErrorCode::NotFound
            ) =>
        {
            Outcome::Refunded(action)
        }
        Err(e) => panic!("{action:?} failed unexpectedly: {e} ({})", e.code()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chat_generation_and_scraping_race_for_the_last_20_credits() {
    let env = Env::new("2026-11-25T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(MockConfig {
        slow_ms: 1,
        ..MockConfig::default()
    })
    .await
    .expect("start mock");
    let site = site::start_site(SiteConfig::default())
        .await
        .expect("start site");
    use_mock_model(&core, &mock.base_url(), "o3-mini");
    spend_down_to(&core, 20).await;
    let before: HashSet<i64> = ledger_rows(&core).await.iter().map(|e| e.id).collect();
    let mut events = core.events().subscribe();

    let scraper = core
        .scraper()
        .with_limits(ScrapeLimits {
            total_timeout: Duration::from_secs(20),
            ..ScrapeLimits::default()
        })
        .expect("limits");
    let mut racers = Vec::new();
    for i in 0..8 {
        let core = core.clone();
        let session = core.chat().create_session(None).await.unwrap().id;
        racers.push(tokio::spawn(async move {
            let sent = core
                .chat_engine()
                .send(SendRequest {
                    session: Some(RecordRef::Id(session)),
                    content: format!("race {i}"),
                    include_context: false,
                    idempotency_key: None,
                    edit_of: None,
                    attachments: Vec::new(),
                })
                .await;
            judge(Action::ChatMessage, sent.map(|o| o.spend))
        }));
    }
    for i in 0..4 {
        let core = core.clone();
        // Every other generation gets an unusable plan (refunded).
        let prompt = if i % 2 == 0 {
            format!("Project {i}")
        } else {
            format!("Project {i} [[project:invalid]]")
        };
        racers.push(tokio::spawn(async move {
            let made = core
                .generator()
                .generate(GenerateRequest {
                    prompt,
                    idempotency_key: None,
                })
                .await;
            judge(Action::ProjectGeneration, made.map(|g| g.spend))
        }));
    }
    for i in 0..6 {
        let scraper = scraper.clone();
        // Every third scrape hits a missing page (refunded).
        let url = site.url(if i % 3 == 2 { "/missing" } else { "/article" });
        racers.push(tokio::spawn(async move {
            let got = scraper
                .scrape(ScrapeRequest {
                    url,
                    project: None,
                    idempotency_key: None,
                })
                .await;
            judge(Action::UrlScrape, got.map(|r| r.spend))
        }));
    }
    let mut outcomes = Vec::new();
    for racer in racers {
        outcomes.push(racer.await.expect("racer panicked"));
    }

    // Every balance ever announced was >= 0.
    while let Ok(event) = events.try_recv() {
        if let DomainEvent::CreditsChanged { remaining, .. } = event {
            assert!(remaining >= 0, "balance went to {remaining}");
        }
    }

    let new_rows: Vec<LedgerEntry> = ledger_rows(&core)
        .await
        .into_iter()
        .filter(|e| !before.contains(&e.id))
        .collect();
    let spends: Vec<&LedgerEntry> = new_rows
        .iter()
        .filter(|e| e.kind == EntryKind::Spend)
        .collect();
    let refunds: Vec<&LedgerEntry> = new_rows
        .iter()
        .filter(|e| e.kind == EntryKind::Refund)
        .collect();
    let refunded: HashSet<i64> = refunds.iter().filter_map(|r| r.refund_of).collect();

    let mut paid_total = 0;
    let mut paid = 0;
    let mut refunded_actions = Vec::new();
    let mut refused = Vec::new();
    for outcome in &outcomes {
        match outcome {
            Outcome::Paid(action, spend) => {
                assert_eq!(spend.action, Some(*action));
                assert_eq!(spend.amount, -action.cost(), "paid exactly its price");
                assert!(!refunded.contains(&spend.id), "a success was refunded");
                paid_total += action.cost();
                paid += 1;
            }
            Outcome::Refunded(action) => refunded_actions.push(action.as_str()),
            Outcome::Refused(action) => refused.push(action.as_str()),
        }
    }
    // One spend per success and per refunded failure; refusals wrote nothing.
    assert_eq!(spends.len(), paid + refunded_actions.len(), "{outcomes:?}");
    assert_eq!(refunds.len(), refunded_actions.len(), "{outcomes:?}");
    let mut refund_kinds: Vec<&str> = refunds
        .iter()
        .filter_map(|r| r.action.map(Action::as_str))
        .collect();
    refund_kinds.sort_unstable();
    refunded_actions.sort_unstable();
    assert_eq!(refund_kinds, refunded_actions, "refunds match the failures");
    for refund in &refunds {
        let spend = spends
            .iter()
            .find(|s| Some(s.id) == refund.refund_of)
            .expect("a refund points at a spend of this race");
        assert_eq!(refund.amount, -spend.amount);
    }
    assert!(paid > 0, "someone won: {outcomes:?}");
    assert!(
        !refused.is_empty(),
        "20 credits cannot pay for everything: {outcomes:?}"
    );

    let balance = core.balance().await.unwrap().remaining;
    assert_eq!(balance, 20 - paid_total);
    assert!(balance >= 0);
    let report = verify(&core).await;
    assert_eq!(report.balance, balance);
    // Nothing was left half-done.
    let running: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM project_jobs WHERE status = 'running'")
            .fetch_one(core.db().pool())
            .await
            .unwrap();
    assert_eq!(running, 0);
}
