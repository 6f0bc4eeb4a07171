//! The paid project actions on banter-server: AI project generation against
//! the mock Azure and URL scraping against the fixture sites, charged once
//! per idempotency key across both instances and refunded when they fail;
//! the server's scraper refuses loopback, private, link-local, metadata and
//! mapped addresses, typed or reached by a redirect. A job left running by
//! an instance that died is refunded once by the others.
//!
//! Tests connect only to loopback: the scraping tests' resolver answers
//! `public.test` with 127.0.0.2 (called "public" by the test policy, whose
//! last gate refuses anything off loopback), see `scraping.rs`.

use super::scraping::{TestPolicy, TestResolver, PUBLIC_IP};
use banter_core::clock::Clock;
use banter_core::context::{context_block, CONTEXT_TOKEN_BUDGET};
use banter_core::jobs::JobKind;
use banter_core::ledger::{Action, EntryKind, LedgerEntry, SpendRequest};
use banter_core::projects::ProjectRows;
use banter_core::providers::{self, Secret};
use banter_core::scrape::Network;
use banter_mocks::site::{self, Site, SiteConfig};
use banter_mocks::MockConfig;
use banter_server::auth::Caller;
use banter_server::instances::{self, GONE_AFTER};
use banter_server::routes::projects::projects_for;
use banter_server::state::AppState;
use banter_tests::hosted::Hosted;
use banter_tests::mock_azure_config;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgConnection;
use std::sync::Arc;

/// Both instances generate with the mock's `deployment`.
fn use_model(h: &Hosted, base_url: &str, deployment: &str) {
    for state in [&h.a.state, &h.b.state] {
        let provider = providers::build(
            &mock_azure_config(base_url, deployment, true),
            Some(Secret::new("test-key")),
        )
        .expect("the mock provider");
        state.model.set(Some(provider));
    }
}

async fn balance(state: &AppState, user_id: &str) -> i64 {
    let report = state
        .ledger
        .verify(user_id)
        .await
        .expect("the ledger adds up");
    assert_eq!(report.ledger_sum, report.balance, "{report:?}");
    report.balance
}

async fn entries(state: &AppState, user_id: &str, kind: EntryKind) -> Vec<LedgerEntry> {
    state
        .ledger
        .history(user_id, None, 500)
        .await
        .expect("history")
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_generation_is_charged_once_per_key_and_refunded_when_the_model_fails() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let mock = banter_mocks::start(MockConfig::default())
        .await
        .expect("mock Azure");
    let alice = h.sign_in("alice", "laptop").await;
    let a = Some(alice.tokens.access_token.as_str());
    let uid = alice.user_id.as_str();

    // No model yet: refused, nothing charged.
    let body = json!({"prompt": "Plan a garden [[project:tasks:3]]", "idempotencyKey": "gen-1"});
    let (status, err) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/projects/generate",
            a,
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("provider_not_configured")
        ),
        "{err}"
    );
    assert_eq!(balance(&h.a.state, uid).await, 100);

    use_model(&h, &mock.base_url(), "o3-mini");
    let (status, made) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/projects/generate",
            a,
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["project"]["displayId"], "PR-000001");
    assert_eq!(made["tasks"].as_array().unwrap().len(), 3);
    assert_eq!(
        (made["spend"]["amount"].as_i64(), made["replayed"].as_bool()),
        (Some(-15), Some(false))
    );
    // The same key, retried through the other instance: the same project.
    let (status, again) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/projects/generate",
            a,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["project"]["id"], made["project"]["id"]);
    assert_eq!(again["tasks"], made["tasks"]);
    assert_eq!(balance(&h.b.state, uid).await, 85);
    assert_eq!(mock.requests().len(), 1, "the model was asked once");
    // The key is bound to its prompt.
    let (status, err) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/projects/generate",
            a,
            Some(json!({"prompt": "Something else", "idempotencyKey": "gen-1"})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_conflict"))
    );
    // The project is the account's, through the projects routes.
    let (_, tasks) = h
        .call(
            Method::GET,
            &h.b.url,
            "/v1/tasks?project=PR-000001",
            a,
            None,
        )
        .await;
    assert_eq!(tasks.as_array().unwrap().len(), 3);

    // The model fails (its deployment is gone) or answers unusably: refunded.
    use_model(&h, &mock.base_url(), "o3-mini-not-found");
    let failing = json!({"prompt": "A party [[project:tasks:2]]", "idempotencyKey": "gen-2"});
    let (status, err) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/projects/generate",
            a,
            Some(failing.clone()),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("deployment_not_found")),
        "{err}"
    );
    assert_eq!(balance(&h.a.state, uid).await, 85);
    // Its key stays spent: a retry is told it failed, and charges nothing.
    let (status, err) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/projects/generate",
            a,
            Some(failing),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("job_failed")),
        "{err}"
    );
    use_model(&h, &mock.base_url(), "o3-mini");
    let (status, err) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/projects/generate",
            a,
            Some(json!({"prompt": "A move [[project:invalid]]", "idempotencyKey": "gen-3"})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("invalid_model_output")),
        "{err}"
    );
    assert_eq!(balance(&h.b.state, uid).await, 85);
    let spends = entries(&h.a.state, uid, EntryKind::Spend).await;
    let refunds = entries(&h.a.state, uid, EntryKind::Refund).await;
    assert_eq!((spends.len(), refunds.len()), (3, 2));
    assert!(spends
        .iter()
        .all(|s| s.action == Some(Action::ProjectGeneration)));
    let (_, all) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/projects?includeArchived=true",
            a,
            None,
        )
        .await;
    assert_eq!(
        all.as_array().unwrap().len(),
        1,
        "a failure creates nothing"
    );
}

/// Two instances whose scrapes resolve names through the test resolver,
/// the fixture site on 127.0.0.1 and a "public" one on [`PUBLIC_IP`].
struct Scraping {
    h: Hosted,
    site: Site,
    public_site: Site,
}

impl Scraping {
    async fn start() -> Self {
        let network = Network::new(TestResolver::new(usize::MAX), Arc::new(TestPolicy));
        let h = Hosted::scraping_through("2026-03-10T12:00:00Z", network).await;
        Self {
            h,
            site: site::start_site(SiteConfig::default()).await.expect("site"),
            public_site: site::start_site_on(PUBLIC_IP.into(), SiteConfig::default())
                .await
                .expect("public site"),
        }
    }

    fn public_url(&self, path: &str) -> String {
        format!("http://public.test:{}{path}", self.public_site.port())
    }

    /// The addresses a server must never fetch, as typed URLs.
    fn forbidden(&self) -> Vec<String> {
        let port = self.site.port();
        vec![
            format!("http://127.0.0.1:{port}/article"),
            format!("http://[::1]:{port}/article"),
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "http://10.0.0.1/".to_string(),
            format!("http://[::ffff:127.0.0.1]:{port}/article"),
        ]
    }

    async fn scrape(&self, base: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.h
            .call(Method::POST, base, "/v1/scrape", Some(token), Some(body))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_refuses_non_public_addresses_typed_or_redirected_to() {
    let s = Scraping::start().await;
    let alice = s.h.sign_in("alice", "laptop").await;
    let (token, uid) = (alice.tokens.access_token.as_str(), alice.user_id.as_str());

    // Typed: refused before anything is charged.
    for url in s.forbidden() {
        let (status, err) = s.scrape(&s.h.a.url, token, json!({"url": url})).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("private_address")),
            "{url}: {err}"
        );
    }
    assert_eq!(balance(&s.h.a.state, uid).await, 100);
    assert!(entries(&s.h.a.state, uid, EntryKind::Spend)
        .await
        .is_empty());

    // Reached by a public page's redirect: refused before connecting there,
    // and refunded.
    let mut urls = s.forbidden();
    urls.push(format!("http://localhost:{}/article", s.site.port()));
    for target in &urls {
        let url = s.public_url(&format!("/redirect?to={target}"));
        let (status, err) = s.scrape(&s.h.b.url, token, json!({"url": url})).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("redirect_to_private_address")),
            "{target}: {err}"
        );
    }
    assert_eq!(balance(&s.h.b.state, uid).await, 100);
    let spends = entries(&s.h.a.state, uid, EntryKind::Spend).await;
    let refunds = entries(&s.h.a.state, uid, EntryKind::Refund).await;
    assert_eq!((spends.len(), refunds.len()), (urls.len(), urls.len()));
    let (_, projects) =
        s.h.call(Method::GET, &s.h.a.url, "/v1/projects", Some(token), None)
            .await;
    assert_eq!(projects, json!([]), "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_an_injected_resolver_the_loopback_site_is_refused() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let site = site::start_site(SiteConfig::default()).await.expect("site");
    let alice = h.sign_in("alice", "laptop").await;
    let (status, err) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/scrape",
            Some(&alice.tokens.access_token),
            Some(json!({"url": site.url("/article")})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("private_address")),
        "{err}"
    );
    assert_eq!(balance(&h.a.state, &alice.user_id).await, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_public_page_is_scraped_once_per_key_and_its_saved_page_is_the_accounts() {
    let s = Scraping::start().await;
    let alice = s.h.sign_in("alice", "laptop").await;
    let bob = s.h.sign_in("bob", "desktop").await;
    let (a, uid) = (alice.tokens.access_token.as_str(), alice.user_id.as_str());
    let b = bob.tokens.access_token.as_str();

    let body = json!({"url": s.public_url("/article"), "idempotencyKey": "scrape-1"});
    let (status, got) = s.scrape(&s.h.a.url, a, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["source"]["title"], site::ARTICLE_TITLE);
    assert_eq!(
        (
            got["createdProject"].as_bool(),
            got["spend"]["amount"].as_i64()
        ),
        (Some(true), Some(-5))
    );
    assert_eq!(got["project"]["displayId"], "PR-000001");
    let (status, again) = s.scrape(&s.h.b.url, a, body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (again["replayed"].as_bool(), &again["source"]["id"]),
        (Some(true), &got["source"]["id"])
    );
    assert_eq!(balance(&s.h.a.state, uid).await, 95);

    // Onto an existing project; a failing fetch is refunded.
    let (status, second) = s
        .scrape(
            &s.h.b.url,
            a,
            json!({"url": s.public_url("/hops/1"), "project": "PR-000001"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["createdProject"], false);
    let (status, err) = s
        .scrape(&s.h.a.url, a, json!({"url": s.public_url("/broken")}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("http_error")),
        "{err}"
    );
    assert!(
        err["message"].as_str().unwrap().contains("500"),
        "the site's answer is named: {err}"
    );
    assert_eq!(balance(&s.h.a.state, uid).await, 90);
    // Another account's project is not a target (nothing charged).
    let (status, err) = s
        .scrape(
            &s.h.a.url,
            b,
            json!({"url": s.public_url("/article"), "project": "PR-000001"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(balance(&s.h.a.state, &bob.user_id).await, 100);

    // The chat context reads the account's projects, tasks and pages from
    // Postgres as it does from SQLite.
    let caller = Caller {
        user_id: uid.to_string(),
        device_id: "test".into(),
    };
    let block = context_block(&projects_for(&s.h.b.state, &caller), CONTEXT_TOKEN_BUDGET)
        .await
        .expect("the context")
        .expect("some context");
    assert!(block.contains("PR-000001"), "{block}");
    assert!(block.contains(site::ARTICLE_TITLE), "{block}");
    let bobs = Caller {
        user_id: bob.user_id.clone(),
        device_id: "test".into(),
    };
    let none = context_block(&projects_for(&s.h.a.state, &bobs), CONTEXT_TOKEN_BUDGET).await;
    assert_eq!(
        none.expect("the context"),
        None,
        "Bob has no work of his own"
    );

    // The saved pages: listed, read, deleted — by their account only.
    let (_, pages) =
        s.h.call(
            Method::GET,
            &s.h.b.url,
            "/v1/projects/PR-000001/pages",
            Some(a),
            None,
        )
        .await;
    assert_eq!(pages.as_array().unwrap().len(), 2, "{pages}");
    let page = got["source"]["id"].as_i64().unwrap();
    let path = format!("/v1/pages/{page}");
    let (status, read) =
        s.h.call(Method::GET, &s.h.a.url, &path, Some(a), None)
            .await;
    assert_eq!(
        (status, &read["text"]),
        (StatusCode::OK, &got["source"]["text"])
    );
    for method in [Method::GET, Method::DELETE] {
        let (status, err) =
            s.h.call(method.clone(), &s.h.b.url, &path, Some(b), None)
                .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{method}"
        );
    }
    let (status, _) =
        s.h.call(Method::DELETE, &s.h.b.url, &path, Some(a), None)
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        s.h.call(Method::GET, &s.h.a.url, &path, Some(a), None)
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, pages) =
        s.h.call(
            Method::GET,
            &s.h.a.url,
            "/v1/projects/PR-000001/pages",
            Some(a),
            None,
        )
        .await;
    assert_eq!(pages.as_array().unwrap().len(), 1);
}

/// Pays for a job of `kind` and leaves it running as `owner` would.
pub(super) async fn running_job(
    state: &AppState,
    user_id: &str,
    kind: JobKind,
    owner: &str,
    key: &str,
) {
    let (uid, owner, now) = (user_id.to_string(), owner.to_string(), state.clock.now());
    state
        .ledger
        .pay(
            SpendRequest {
                user_id: user_id.to_string(),
                action: kind.action(),
                idempotency_key: key.to_string(),
                reference: None,
                fingerprint: None,
            },
            Box::new(move |conn: &mut PgConnection, spend| {
                Box::pin(async move {
                    conn.insert_job(&uid, kind, spend.id, "input", &owner, now)
                        .await
                })
            }),
            Box::new(|_, _| Box::pin(async { panic!("a fresh key") })),
        )
        .await
        .expect("paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_instances_jobs_are_refunded_once_by_the_others() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let uid = alice.user_id.as_str();
    let pool = h.a.state.store.pool().clone();
    let now = h.clock.now();
    instances::beat(&pool, "dead", now).await.unwrap();
    instances::beat(&pool, "alive", now).await.unwrap();
    running_job(&h.a.state, uid, JobKind::Generation, "dead", "job-1").await;
    running_job(&h.a.state, uid, JobKind::Scrape, "alive", "job-2").await;
    assert_eq!(balance(&h.a.state, uid).await, 80);

    // Not gone yet: nothing is refunded.
    h.clock.advance(GONE_AFTER - chrono::Duration::seconds(1));
    instances::beat(&pool, "alive", h.clock.now())
        .await
        .unwrap();
    assert_eq!(instances::recover(&h.b.state).await.unwrap(), 0);

    // Gone: both instances look at once; the job is refunded once.
    h.clock.advance(chrono::Duration::seconds(2));
    instances::beat(&pool, "alive", h.clock.now())
        .await
        .unwrap();
    let (x, y) = tokio::join!(
        instances::recover(&h.a.state),
        instances::recover(&h.b.state)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    assert_eq!(instances::recover(&h.a.state).await.unwrap(), 0);
    assert_eq!(balance(&h.a.state, uid).await, 95);
    let refunds = entries(&h.a.state, uid, EntryKind::Refund).await;
    assert_eq!((refunds.len(), refunds[0].amount), (1, 15));
    let jobs: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT owner, status, error_code FROM project_jobs ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        jobs,
        [
            ("dead".into(), "failed".into(), Some("interrupted".into())),
            ("alive".into(), "running".into(), None),
        ]
    );
}

/// A client that hangs up mid-generation strands nothing: the job ends on
/// the server (the project is stored, charged once), and the same key
/// fetches it afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_generation_outlives_a_client_that_hangs_up() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let mock = banter_mocks::start(MockConfig {
        slow_ms: 40,
        ..MockConfig::default()
    })
    .await
    .expect("mock Azure");
    use_model(&h, &mock.base_url(), "o3-mini-slow");
    let alice = h.sign_in("alice", "laptop").await;
    let (token, uid) = (alice.tokens.access_token.as_str(), alice.user_id.as_str());
    let body =
        json!({"prompt": "Plan a garden [[project:tasks:3]]", "idempotencyKey": "gen-hangup"});
    let hung_up = h
        .http
        .post(format!("{}/v1/projects/generate", h.a.url))
        .bearer_auth(token)
        .json(&body)
        .timeout(std::time::Duration::from_millis(150))
        .send()
        .await;
    assert!(
        hung_up.is_err_and(|e| e.is_timeout()),
        "the client gave up first"
    );
    assert_eq!(
        balance(&h.a.state, uid).await,
        85,
        "paid before the model answered"
    );

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let made = loop {
        let (status, got) = h
            .call(
                Method::POST,
                &h.b.url,
                "/v1/projects/generate",
                Some(token),
                Some(body.clone()),
            )
            .await;
        if status == StatusCode::OK {
            break got;
        }
        assert_eq!(
            (status, got["code"].as_str()),
            (StatusCode::CONFLICT, Some("job_in_progress")),
            "{got}"
        );
        assert!(std::time::Instant::now() < deadline, "the job never ended");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(made["replayed"], true);
    assert_eq!(made["tasks"].as_array().unwrap().len(), 3);
    assert_eq!(balance(&h.a.state, uid).await, 85);
    assert_eq!(mock.requests().len(), 1);
    assert!(entries(&h.a.state, uid, EntryKind::Refund).await.is_empty());
}
