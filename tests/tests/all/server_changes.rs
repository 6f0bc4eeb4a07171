//! The change feed on banter-server: every change an account makes through
//! one instance — a send (session, messages, the spend), renames, deletes,
//! projects, tasks, saved pages — appears in the feed the other instance
//! serves, with the record its own route shows, in position order, once
//! per page walk; deletes leave tombstones; accounts never see each other's
//! changes. The stream wakes a subscriber on the other instance within the
//! bound and resumes from a cursor, and a reader pulling while many write
//! on both instances misses nothing.

use super::scraping::{TestPolicy, TestResolver, PUBLIC_IP};
use banter_core::providers::{self, ChatProvider, Secret};
use banter_core::scrape::Network;
use banter_mocks::azure::{self, MockConfig, MockServer};
use banter_mocks::site::{self, Site, SiteConfig};
use banter_server::changes::{feed, ChangeOp};
use banter_tests::hosted::{EventStream, Hosted, Parts, Sent, BROKEN};
use banter_tests::mock_azure_config;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a change may take to reach a subscriber on another instance.
const PROPAGATION_BOUND: Duration = Duration::from_secs(2);

async fn mock_azure() -> MockServer {
    azure::start(MockConfig {
        slow_ms: 0,
        ..MockConfig::default()
    })
    .await
    .expect("mock Azure")
}

fn model(mock: &MockServer) -> Arc<dyn ChatProvider> {
    let config = mock_azure_config(&mock.base_url(), "o3-mini", true);
    providers::build(&config, Some(Secret::new("test-key"))).expect("the mock model")
}

/// Two instances that chat through the mock and scrape the fixture site
/// through the test resolver (`public.test` is [`PUBLIC_IP`], on loopback).
struct Feed {
    h: Arc<Hosted>,
    _azure: MockServer,
    public_site: Site,
}

impl Feed {
    async fn start() -> Self {
        let azure = mock_azure().await;
        let parts = Parts {
            model: Some(model(&azure)),
            grace: Some(Duration::from_secs(5)),
            scrape_network: Some(Network::new(
                TestResolver::new(usize::MAX),
                Arc::new(TestPolicy),
            )),
            ..Parts::default()
        };
        let h = Hosted::start_with("2026-03-10T12:00:00Z", parts).await;
        Self {
            h: Arc::new(h),
            _azure: azure,
            public_site: site::start_site_on(PUBLIC_IP.into(), SiteConfig::default())
                .await
                .expect("public site"),
        }
    }
}

/// `method path` on `base` as `token`, answered 200; the body.
async fn ok(
    h: &Hosted,
    method: Method,
    base: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let (status, answer) = h.call(method.clone(), base, path, Some(token), body).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

/// Sends `content` through `base` (a new session unless `session` names
/// one) and reads the reply to its end; the outcome.
async fn send(h: &Hosted, base: &str, token: &str, session: Option<&str>, content: &str) -> Value {
    let mut body = json!({"content": content});
    if let Some(session) = session {
        body["session"] = json!(session);
    }
    let events = match h.send(base, token, body).await {
        Sent::Streaming(events) => events.collect::<Vec<_>>().await,
        Sent::Refused(status, body) => panic!("the send was refused: {status} {body}"),
    };
    let (name, outcome) = events.last().cloned().expect("a final event");
    assert_eq!(name, "outcome", "{outcome}");
    outcome
}

/// One page of the feed after `after`.
async fn pull(h: &Hosted, base: &str, token: &str, after: i64, limit: u32) -> Value {
    ok(
        h,
        Method::GET,
        base,
        &format!("/v1/changes?after={after}&limit={limit}"),
        token,
        None,
    )
    .await
}

/// Every change after `after`, page by page (`limit` each), checking the
/// page rules on the way: positions strictly increase across pages, a
/// page's cursor is its last position (or `after` when empty), and `more`
/// is false only on the last page. The changes and the final cursor.
async fn pull_all(
    h: &Hosted,
    base: &str,
    token: &str,
    after: i64,
    limit: u32,
) -> (Vec<Value>, i64) {
    let mut all = Vec::new();
    let mut cursor = after;
    loop {
        let page = pull(h, base, token, cursor, limit).await;
        let changes = page["changes"].as_array().expect("changes").clone();
        assert!(changes.len() <= limit as usize, "{page}");
        let mut last = cursor;
        for change in &changes {
            let position = change["position"].as_i64().expect("a position");
            assert!(position > last, "positions go up: {last} then {position}");
            last = position;
        }
        assert_eq!(page["cursor"].as_i64(), Some(last), "{page}");
        cursor = last;
        all.extend(changes);
        if page["more"] == json!(false) {
            return (all, cursor);
        }
        assert_eq!(
            all.len() % limit as usize,
            0,
            "only a full page says there is more"
        );
    }
}

/// The changes by (kind, id), each present once.
fn by_record(changes: &[Value]) -> HashMap<(String, i64), Value> {
    let mut map = HashMap::new();
    for change in changes {
        let key = (
            change["kind"].as_str().expect("a kind").to_string(),
            change["id"].as_i64().expect("an id"),
        );
        let again = map.insert(key.clone(), change.clone());
        assert!(again.is_none(), "{key:?} twice in one walk");
    }
    map
}

/// The (kind, op) of each change, in order.
fn kinds(changes: &[Value]) -> Vec<(String, String)> {
    changes
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or_default().to_string(),
                c["op"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The change of `kind` with row id `id`, present exactly once.
fn the(changes: &[Value], kind: &str, id: &Value) -> Value {
    let found: Vec<_> = changes
        .iter()
        .filter(|c| c["kind"] == kind && &c["id"] == id)
        .collect();
    assert_eq!(found.len(), 1, "{kind} {id} once in {changes:?}");
    found[0].clone()
}

/// `GET /v1/changes/stream?after=…` on `base`, as (event name, data).
async fn subscribe(h: &Hosted, base: &str, token: &str, after: i64) -> EventStream {
    let resp = h
        .http
        .get(format!("{base}/v1/changes/stream?after={after}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("server answers");
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"]
        .to_str()
        .expect("a text content type")
        .to_string();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let events = resp.bytes_stream().eventsource().map(|event| match event {
        Ok(event) => (
            event.event,
            serde_json::from_str(&event.data).expect("JSON event data"),
        ),
        Err(error) => (BROKEN.to_string(), Value::String(error.to_string())),
    });
    Box::pin(events)
}

/// The position of the next `changed` event within `wait`, `None` if none
/// came (the stream ending is a failure).
async fn next_changed(events: &mut EventStream, wait: Duration) -> Option<i64> {
    match tokio::time::timeout(wait, events.next()).await {
        Err(_) => None,
        Ok(Some((name, data))) => {
            assert_eq!(name, "changed", "{data}");
            Some(data["position"].as_i64().expect("a position"))
        }
        Ok(None) => panic!("the change stream ended"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_made_through_one_instance_are_in_the_others_feed_with_their_records() {
    let f = Feed::start().await;
    let h = &f.h;
    let alice = h.sign_in("alice", "laptop").await;
    let t = alice.tokens.access_token.as_str();
    let (a, b) = (h.a.url.as_str(), h.b.url.as_str());

    // A new account's feed holds its signup grant, as the ledger lists it.
    let (start, cursor) = pull_all(h, b, t, 0, 500).await;
    assert_eq!(kinds(&start), [("ledger".into(), "upsert".into())]);
    let ledger = ok(h, Method::GET, a, "/v1/ledger", t, None).await;
    assert_eq!(start[0]["record"], ledger["entries"][0]);
    assert_eq!(start[0]["id"], ledger["entries"][0]["id"]);

    // A send through a: the session, both messages and the spend, each
    // once, each as its own route shows it now.
    let outcome = send(h, a, t, None, "hello there").await;
    let session_id = outcome["session"]["id"].clone();
    let display = outcome["session"]["displayId"]
        .as_str()
        .unwrap()
        .to_string();
    let (sent, cursor) = pull_all(h, b, t, cursor, 500).await;
    let sessions = ok(h, Method::GET, b, "/v1/sessions", t, None).await;
    let listed = sessions["sessions"][0].clone();
    assert_eq!(listed["id"], session_id);
    let session = the(&sent, "session", &session_id);
    assert_eq!(
        (session["op"].as_str(), &session["record"]),
        (Some("upsert"), &listed)
    );
    let messages = ok(
        h,
        Method::GET,
        b,
        &format!("/v1/sessions/{display}/messages"),
        t,
        None,
    )
    .await;
    let messages = messages["messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 2);
    for message in &messages {
        let change = the(&sent, "message", &message["id"]);
        assert_eq!(change["record"], *message);
        assert_eq!(change["record"]["sessionId"], session_id);
    }
    assert_eq!(messages[1]["status"], "complete", "the finished reply");
    let ledger = ok(h, Method::GET, b, "/v1/ledger", t, None).await;
    let spend = ledger["entries"][0].clone();
    assert_eq!(spend["kind"], "spend");
    assert_eq!(the(&sent, "ledger", &spend["id"])["record"], spend);
    assert_eq!(sent.len(), 4, "{sent:?}");

    // A rename is one session change; nothing else moved.
    let renamed = ok(
        h,
        Method::PATCH,
        a,
        &format!("/v1/sessions/{display}"),
        t,
        Some(json!({"title": "Greetings"})),
    )
    .await;
    let (after_rename, cursor) = pull_all(h, b, t, cursor, 500).await;
    assert_eq!(kinds(&after_rename), [("session".into(), "upsert".into())]);
    assert_eq!(after_rename[0]["record"], renamed);

    // Projects and tasks: made, changed and deleted through a.
    let garden = ok(
        h,
        Method::POST,
        a,
        "/v1/projects",
        t,
        Some(json!({"name": "Garden"})),
    )
    .await;
    let pr = garden["displayId"].as_str().unwrap().to_string();
    let soil = ok(
        h,
        Method::POST,
        a,
        &format!("/v1/projects/{pr}/tasks"),
        t,
        Some(json!({"title": "Buy soil"})),
    )
    .await;
    let beds = ok(
        h,
        Method::POST,
        a,
        &format!("/v1/projects/{pr}/tasks"),
        t,
        Some(json!({"title": "Build beds"})),
    )
    .await;
    let soil_done = ok(
        h,
        Method::PATCH,
        a,
        &format!("/v1/tasks/{}", soil["displayId"].as_str().unwrap()),
        t,
        Some(json!({"status": "done"})),
    )
    .await;
    let garden_now = ok(
        h,
        Method::PATCH,
        a,
        &format!("/v1/projects/{pr}"),
        t,
        Some(json!({"name": "Vegetable garden"})),
    )
    .await;
    let (projects, cursor) = pull_all(h, b, t, cursor, 500).await;
    let got = by_record(&projects);
    assert_eq!(got.len(), 3, "{projects:?}");
    let project = the(&projects, "project", &garden["id"]);
    assert_eq!(project["record"], garden_now, "the latest state, once");
    assert_eq!(project["record"]["openTasks"], 1);
    assert_eq!(the(&projects, "task", &soil["id"])["record"], soil_done);
    assert_eq!(the(&projects, "task", &beds["id"])["record"], beds);

    // A deleted task leaves a tombstone.
    let (status, _) = h
        .call(
            Method::DELETE,
            a,
            &format!("/v1/tasks/{}", soil["id"]),
            Some(t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (gone, cursor) = pull_all(h, b, t, cursor, 500).await;
    assert_eq!(kinds(&gone), [("task".into(), "delete".into())]);
    assert_eq!(
        (&gone[0]["id"], &gone[0]["record"]),
        (&soil["id"], &Value::Null)
    );

    // A saved page (a paid scrape into the project): the page, its spend
    // and the project (touched); then deleted: its tombstone.
    let url = format!("http://public.test:{}/article", f.public_site.port());
    let scraped = ok(
        h,
        Method::POST,
        a,
        "/v1/scrape",
        t,
        Some(json!({"url": url, "project": pr})),
    )
    .await;
    let page = scraped["source"].clone();
    let (saved, cursor) = pull_all(h, b, t, cursor, 500).await;
    assert_eq!(the(&saved, "page", &page["id"])["record"], page);
    assert_eq!(
        the(&saved, "ledger", &scraped["spend"]["id"])["record"]["action"],
        "url_scrape"
    );
    let (status, _) = h
        .call(
            Method::DELETE,
            a,
            &format!("/v1/pages/{}", page["id"]),
            Some(t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (unsaved, cursor) = pull_all(h, b, t, cursor, 500).await;
    assert_eq!(kinds(&unsaved), [("page".into(), "delete".into())]);

    // Deleting the project: its tombstone stands for its tasks, whose own
    // rows go (no tombstone per child).
    let (status, _) = h
        .call(
            Method::DELETE,
            a,
            &format!("/v1/projects/{pr}"),
            Some(t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (dropped, cursor) = pull_all(h, b, t, cursor, 500).await;
    assert_eq!(kinds(&dropped), [("project".into(), "delete".into())]);

    // Deleting the session likewise: one tombstone, no message rows left.
    let (status, _) = h
        .call(
            Method::DELETE,
            a,
            &format!("/v1/sessions/{display}"),
            Some(t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (deleted, _) = pull_all(h, b, t, cursor, 500).await;
    assert_eq!(kinds(&deleted), [("session".into(), "delete".into())]);
    assert_eq!(deleted[0]["id"], session_id);
    assert_eq!(deleted[0]["record"], Value::Null);

    // From the start: each record's latest state once — the ledger, the
    // tombstones; none of the children deleted with their parents.
    let (everything, _) = pull_all(h, a, t, 0, 500).await;
    let latest = by_record(&everything);
    assert_eq!(
        latest[&("session".to_string(), session_id.as_i64().unwrap())]["op"],
        "delete"
    );
    assert!(
        everything.iter().all(|c| c["kind"] != "message"),
        "{everything:?}"
    );
    assert_eq!(
        latest[&("task".to_string(), soil["id"].as_i64().unwrap())]["op"],
        "delete"
    );
    assert!(!latest.contains_key(&("task".to_string(), beds["id"].as_i64().unwrap())));
    let ledger = ok(h, Method::GET, a, "/v1/ledger", t, None).await;
    let entries = ledger["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "grant, send, scrape");
    for entry in entries {
        assert_eq!(the(&everything, "ledger", &entry["id"])["record"], *entry);
    }
    assert_eq!(
        everything.len(),
        3 + 4,
        "3 ledger rows and 4 tombstones: {everything:?}"
    );

    // Paging by any size walks the same changes, each once.
    for limit in [1, 2, 3, 1000] {
        let (paged, _) = pull_all(h, b, t, 0, limit).await;
        assert_eq!(paged, everything, "pages of {limit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_feed_queries_are_typed_errors() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let t = Some(alice.tokens.access_token.as_str());
    for (query, field) in [
        ("after=-1", "after"),
        ("after=x", "after"),
        ("after=1.5", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("limit=-3", "limit"),
    ] {
        for path in ["/v1/changes", "/v1/changes/stream"] {
            if path.ends_with("stream") && field == "limit" {
                continue;
            }
            let (status, body) = h
                .call(Method::GET, &h.a.url, &format!("{path}?{query}"), t, None)
                .await;
            assert_eq!(
                (status, body["code"].as_str(), body["field"].as_str()),
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("invalid_input"),
                    Some(field)
                ),
                "{path}?{query}: {body}"
            );
        }
    }
    // The edges are fine.
    let (status, page) = h
        .call(
            Method::GET,
            &h.b.url,
            "/v1/changes?after=0&limit=1000",
            t,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, page) = h
        .call(Method::GET, &h.b.url, "/v1/changes?limit=1", t, None)
        .await;
    assert_eq!(
        (status, page["more"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    // Far past the end: an empty page, the cursor where it was.
    let (status, page) = h
        .call(Method::GET, &h.b.url, "/v1/changes?after=9000000", t, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page,
        json!({"changes": [], "cursor": 9000000, "more": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_account_never_sees_anothers_changes_pulled_or_streamed() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let bob = h.sign_in("bob", "desktop").await;
    let (ta, tb) = (
        alice.tokens.access_token.as_str(),
        bob.tokens.access_token.as_str(),
    );
    let mut alice_hears = subscribe(&h, &h.b.url, ta, 0).await;
    let mut bob_hears = subscribe(&h, &h.b.url, tb, 0).await;
    let alice_at = next_changed(&mut alice_hears, PROPAGATION_BOUND)
        .await
        .unwrap();
    let bob_at = next_changed(&mut bob_hears, PROPAGATION_BOUND)
        .await
        .unwrap();

    // Alice works through a; her stream wakes, Bob's stays quiet.
    let session = ok(
        &h,
        Method::POST,
        &h.a.url,
        "/v1/sessions",
        ta,
        Some(json!({"title": "Mine"})),
    )
    .await;
    ok(
        &h,
        Method::POST,
        &h.a.url,
        "/v1/projects",
        ta,
        Some(json!({"name": "Secret plan"})),
    )
    .await;
    let woke = next_changed(&mut alice_hears, PROPAGATION_BOUND)
        .await
        .unwrap();
    assert!(woke > alice_at);
    assert_eq!(
        next_changed(&mut bob_hears, Duration::from_millis(500)).await,
        None
    );

    // Bob's feed holds his own grant only; Alice's records are not there,
    // whatever cursor he asks from.
    for after in [0, bob_at.saturating_sub(1)] {
        let (bobs, _) = pull_all(&h, &h.a.url, tb, after, 500).await;
        for change in &bobs {
            assert_eq!(change["kind"], "ledger", "{change}");
            assert_eq!(change["record"]["userId"], bob.user_id.as_str());
        }
    }
    let (alices, _) = pull_all(&h, &h.b.url, ta, 0, 500).await;
    assert_eq!(the(&alices, "session", &session["id"])["record"], session);

    // Bob's own change wakes Bob.
    ok(
        &h,
        Method::POST,
        &h.b.url,
        "/v1/sessions",
        tb,
        Some(json!({})),
    )
    .await;
    let woke = next_changed(&mut bob_hears, PROPAGATION_BOUND)
        .await
        .unwrap();
    assert!(woke > bob_at);
    let (mine, _) = pull_all(&h, &h.a.url, tb, bob_at, 500).await;
    assert_eq!(kinds(&mine), [("session".into(), "upsert".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_wakes_on_the_other_instance_in_time_and_resumes_from_a_cursor() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let t = alice.tokens.access_token.as_str();
    let session = ok(
        &h,
        Method::POST,
        &h.a.url,
        "/v1/sessions",
        t,
        Some(json!({})),
    )
    .await;
    let path = format!("/v1/sessions/{}", session["id"]);

    // At once: the account's position (the grant and the session).
    let mut events = subscribe(&h, &h.b.url, t, 0).await;
    let (_, mut cursor) = pull_all(&h, &h.b.url, t, 0, 500).await;
    let first = next_changed(&mut events, PROPAGATION_BOUND).await;
    assert_eq!(first, Some(cursor));

    // Each rename through a wakes the stream on b; the pull then has it.
    let mut woken = Vec::new();
    let mut visible = Vec::new();
    for n in 0..40 {
        let start = Instant::now();
        let renamed = ok(
            &h,
            Method::PATCH,
            &h.a.url,
            &path,
            t,
            Some(json!({"title": format!("take {n}")})),
        )
        .await;
        let position = next_changed(&mut events, PROPAGATION_BOUND)
            .await
            .unwrap_or_else(|| {
                panic!("rename {n} did not wake the stream within {PROPAGATION_BOUND:?}")
            });
        woken.push(start.elapsed());
        assert!(position > cursor);
        let (pulled, next) = pull_all(&h, &h.b.url, t, cursor, 500).await;
        visible.push(start.elapsed());
        assert_eq!(pulled.len(), 1);
        assert_eq!(pulled[0]["record"], renamed);
        assert_eq!(next, position);
        cursor = next;
    }
    woken.sort();
    visible.sort();
    let pct = |d: &[Duration], p: usize| d[(d.len() * p / 100).min(d.len() - 1)];
    println!(
        "change feed propagation over {} renames (a → b, debug build): \
         stream woken p50 {:?} p99 {:?}; pulled p50 {:?} p99 {:?}",
        woken.len(),
        pct(&woken, 50),
        pct(&woken, 99),
        pct(&visible, 50),
        pct(&visible, 99)
    );
    assert!(pct(&visible, 99) < PROPAGATION_BOUND);

    // Disconnected: changes meanwhile are announced at once on reconnect,
    // and the pull from the cursor has exactly them.
    drop(events);
    let renamed = ok(
        &h,
        Method::PATCH,
        &h.a.url,
        &path,
        t,
        Some(json!({"title": "while away"})),
    )
    .await;
    let project = ok(
        &h,
        Method::POST,
        &h.b.url,
        "/v1/projects",
        t,
        Some(json!({"name": "Away"})),
    )
    .await;
    let mut events = subscribe(&h, &h.a.url, t, cursor).await;
    let head = next_changed(&mut events, PROPAGATION_BOUND).await.unwrap();
    assert!(head > cursor);
    let (missed, next) = pull_all(&h, &h.a.url, t, cursor, 1).await;
    assert_eq!(next, head);
    assert_eq!(
        kinds(&missed),
        [
            ("session".into(), "upsert".into()),
            ("project".into(), "upsert".into())
        ]
    );
    assert_eq!(
        (&missed[0]["record"], &missed[1]["record"]),
        (&renamed, &project)
    );
    // Nothing new: no event; a change through b wakes this stream on a.
    assert_eq!(
        next_changed(&mut events, Duration::from_millis(300)).await,
        None
    );
    ok(
        &h,
        Method::POST,
        &h.b.url,
        "/v1/sessions",
        t,
        Some(json!({})),
    )
    .await;
    assert!(next_changed(&mut events, PROPAGATION_BOUND).await.unwrap() > head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shutdown_ends_change_streams() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let t = alice.tokens.access_token.as_str();
    let mut events = subscribe(&h, &h.a.url, t, 0).await;
    assert!(next_changed(&mut events, PROPAGATION_BOUND).await.is_some());
    assert_eq!(h.a.state.changes.subscribers(), 1);
    tokio::time::timeout(Duration::from_secs(10), h.a.shut_down())
        .await
        .expect("the shutdown does not wait for the stream");
    let rest: Vec<_> = tokio::time::timeout(Duration::from_secs(5), events.collect::<Vec<_>>())
        .await
        .expect("the stream ended");
    assert!(rest.iter().all(|(name, _)| name != "changed"), "{rest:?}");
    assert_eq!(
        h.a.state.changes.subscribers(),
        0,
        "its subscription is gone"
    );
    // The other instance goes on serving the feed.
    let mut events = subscribe(&h, &h.b.url, t, 0).await;
    assert!(next_changed(&mut events, PROPAGATION_BOUND).await.is_some());
}

/// The ordering guarantee, step by step: a transaction holds its position
/// until it commits, so a change that comes after it — through the other
/// instance — cannot become visible first, and a reader moving its cursor
/// meanwhile misses neither. (The first transaction takes its position
/// early with `SET CONSTRAINTS … IMMEDIATE`, which runs its deferred
/// triggers then instead of at commit.)
/// Renames `project` in a transaction left open with its feed's note taken
/// now (its constraints made immediate): the change holds its position,
/// its feed row and its wake row until the transaction commits.
async fn rename_and_hold(
    h: &Hosted,
    project: &Value,
    name: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut holding = h.a.state.store.pool().begin().await.expect("a transaction");
    sqlx::query("UPDATE projects SET name = $2 WHERE id = $1")
        .bind(project["id"].as_i64().expect("a project id"))
        .bind(name)
        .execute(&mut *holding)
        .await
        .expect("renamed");
    sqlx::query("SET CONSTRAINTS ALL IMMEDIATE")
        .execute(&mut *holding)
        .await
        .expect("the feed's note taken now");
    holding
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_cannot_become_visible_before_one_with_a_smaller_position() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let t = alice.tokens.access_token.clone();
    let first = ok(
        &h,
        Method::POST,
        &h.a.url,
        "/v1/projects",
        &t,
        Some(json!({"name": "First"})),
    )
    .await;
    let second = ok(
        &h,
        Method::POST,
        &h.a.url,
        "/v1/projects",
        &t,
        Some(json!({"name": "Second"})),
    )
    .await;
    let (_, cursor) = pull_all(&h, &h.a.url, &t, 0, 500).await;

    let holding = rename_and_hold(&h, &first, "First, renamed").await;
    let h = Arc::new(h);
    let later = {
        let (h, t, path) = (
            h.clone(),
            t.clone(),
            format!("/v1/projects/{}", second["id"]),
        );
        tokio::spawn(async move {
            ok(
                &h,
                Method::PATCH,
                &h.b.url,
                &path,
                &t,
                Some(json!({"name": "Second, renamed"})),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (meanwhile, moved_to) = pull_all(&h, &h.b.url, &t, cursor, 500).await;
    holding.commit().await.unwrap();
    later.await.expect("the later change");
    let (after, _) = pull_all(&h, &h.b.url, &t, moved_to, 500).await;
    let seen: Vec<_> = meanwhile.iter().chain(&after).collect();
    let position_of = |id: &Value| {
        seen.iter()
            .find(|c| c["kind"] == "project" && &c["id"] == id)
            .and_then(|c| c["position"].as_i64())
    };
    let (one, two) = (position_of(&first["id"]), position_of(&second["id"]));
    assert!(
        one.is_some() && two.is_some(),
        "the reader missed a change: saw {meanwhile:?} while the first was open, then {after:?}"
    );
    assert!(one < two, "{one:?} {two:?}");
    assert!(
        meanwhile.is_empty(),
        "nothing was visible while the first held its position"
    );
}

/// A writer leaves its account to be woken and the instances announce it
/// after the commit: while one account's transaction is still open its
/// wake is invisible and blocks no announcer (another account's change is
/// announced meanwhile); once it commits, its subscriber wakes, and
/// nothing is left waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wakes_are_announced_after_the_writers_commit_and_never_wait_for_it() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let bob = h.sign_in("bob", "desktop").await;
    let (ta, tb) = (
        alice.tokens.access_token.as_str(),
        bob.tokens.access_token.as_str(),
    );
    let project = ok(
        &h,
        Method::POST,
        &h.a.url,
        "/v1/projects",
        ta,
        Some(json!({"name": "Plans"})),
    )
    .await;
    let (_, alice_at) = pull_all(&h, &h.b.url, ta, 0, 500).await;
    let (_, bob_at) = pull_all(&h, &h.b.url, tb, 0, 500).await;
    let mut alices = subscribe(&h, &h.b.url, ta, alice_at).await;
    let mut bobs = subscribe(&h, &h.b.url, tb, bob_at).await;
    assert_eq!(
        next_changed(&mut alices, PROPAGATION_BOUND).await,
        Some(alice_at)
    );
    assert_eq!(
        next_changed(&mut bobs, PROPAGATION_BOUND).await,
        Some(bob_at)
    );

    // Alice's change holds its feed row and wake row, uncommitted.
    let holding = rename_and_hold(&h, &project, "Plans, renamed").await;
    // A round taken now does not wait for it.
    let round = tokio::time::timeout(
        PROPAGATION_BOUND,
        banter_server::changes::wakes::announce_once(h.b.state.store.pool()),
    )
    .await
    .expect("an announcer never waits for a writer");
    round.unwrap();
    // Bob's change is announced meanwhile; Alice's subscriber hears nothing.
    ok(
        &h,
        Method::POST,
        &h.b.url,
        "/v1/projects",
        tb,
        Some(json!({"name": "Bob's"})),
    )
    .await;
    let bob_woken = next_changed(&mut bobs, PROPAGATION_BOUND).await;
    assert!(bob_woken.is_some_and(|p| p > bob_at), "{bob_woken:?}");
    assert_eq!(
        next_changed(&mut alices, Duration::from_millis(300)).await,
        None
    );

    holding.commit().await.unwrap();
    let alice_woken = next_changed(&mut alices, PROPAGATION_BOUND).await;
    assert!(alice_woken.is_some_and(|p| p > alice_at), "{alice_woken:?}");
    let (changes, _) = pull_all(&h, &h.b.url, ta, alice_at, 500).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["record"]["name"], "Plans, renamed");
    let deadline = Instant::now() + PROPAGATION_BOUND;
    loop {
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM account_change_wakes")
            .fetch_one(h.a.state.store.pool())
            .await
            .unwrap();
        if waiting == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{waiting} wakes left waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A transaction that changed two accounts' records could take their
/// positions in either order and deadlock another doing the same: the
/// database refuses it at commit, and nothing of it is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_may_change_one_accounts_records_only() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let bob = h.sign_in("bob", "desktop").await;
    let insert = "INSERT INTO projects (user_id, display_id, name, created_at, updated_at)
                  VALUES ($1, 'PR-900000', 'Shared', now(), now())";
    let mut both = h.a.state.store.pool().begin().await.unwrap();
    for user in [&alice.user_id, &bob.user_id] {
        sqlx::query(insert)
            .bind(user)
            .execute(&mut *both)
            .await
            .unwrap();
    }
    let refused = both.commit().await.expect_err("refused at commit");
    assert!(refused.to_string().contains("two accounts"), "{refused}");
    for (user, token) in [
        (&alice.user_id, &alice.tokens.access_token),
        (&bob.user_id, &bob.tokens.access_token),
    ] {
        let (feed, _) = pull_all(&h, &h.b.url, token, 0, 500).await;
        assert_eq!(
            kinds(&feed),
            [("ledger".into(), "upsert".into())],
            "only the grant"
        );
        // One account's records in a transaction of its own are fine.
        let mut one = h.a.state.store.pool().begin().await.unwrap();
        sqlx::query(insert)
            .bind(user)
            .execute(&mut *one)
            .await
            .unwrap();
        one.commit().await.unwrap();
        let (feed, _) = pull_all(&h, &h.b.url, token, 0, 500).await;
        assert_eq!(feed.len(), 2);
        assert_eq!(feed[1]["record"]["name"], "Shared");
    }
}

/// A change as (position, kind, id, op).
fn key_of(change: &Value) -> (i64, String, i64, String) {
    (
        change["position"].as_i64().expect("a position"),
        change["kind"].as_str().expect("a kind").to_string(),
        change["id"].as_i64().expect("an id"),
        change["op"].as_str().expect("an op").to_string(),
    )
}

/// What one reader of the feed saw: each change as (position, kind, id, op).
struct Reader {
    name: String,
    seen: BTreeSet<(i64, String, i64, String)>,
    cursor: i64,
    pulls: usize,
}

impl Reader {
    fn new(name: String) -> Self {
        Self {
            name,
            seen: BTreeSet::new(),
            cursor: 0,
            pulls: 0,
        }
    }

    /// Takes in a page: positions go up from the cursor, which moves on.
    fn saw(&mut self, changes: &[Value]) {
        self.pulls += 1;
        for change in changes {
            let key = key_of(change);
            assert!(key.0 > self.cursor, "positions go up");
            self.cursor = key.0;
            self.seen.insert(key);
        }
    }
}

/// Sends into new sessions, renames and project edits on both instances,
/// while a reader pulls by cursor as fast as it can: everything the feed
/// holds at the end, the reader saw — each record's last change at its
/// position. (With positions that could become visible out of order — a
/// global sequence taken at commit instead of the account's locked head
/// row — a change committed after the reader passed a larger position is
/// never seen, and this fails.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_pulling_while_many_write_on_both_instances_misses_nothing() {
    let azure = mock_azure().await;
    let h = Arc::new(
        Hosted::chatting(
            "2026-03-10T12:00:00Z",
            model(&azure),
            Duration::from_secs(5),
        )
        .await,
    );
    let alice = h.sign_in("alice", "laptop").await;
    let token = alice.tokens.access_token.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // Readers, each on its own cursor with its own page size, pulling as
    // fast as they can: through the route (alternating instances), and
    // through the route's own reading function, which samples the feed
    // more often than HTTP on a debug build can.
    let mut readers = Vec::new();
    for limit in [3, 50, 1000] {
        let (h, token, stop) = (h.clone(), token.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut reader = Reader::new(format!("the route, pages of {limit}"));
            loop {
                let done = stop.load(std::sync::atomic::Ordering::SeqCst);
                let base = if reader.pulls.is_multiple_of(2) {
                    &h.a.url
                } else {
                    &h.b.url
                };
                let page = pull(&h, base, &token, reader.cursor, limit).await;
                let more = page["more"] == json!(true);
                reader.saw(page["changes"].as_array().unwrap());
                // After the writers stop, read to the end once more.
                if done && !more {
                    return reader;
                }
            }
        }));
    }
    for (n, limit) in [20, 1000, 1000, 1000].into_iter().enumerate() {
        let (h, user, stop) = (h.clone(), alice.user_id.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut reader = Reader::new(format!("feed::read, pages of {limit}"));
            let pool = if n % 2 == 0 {
                h.a.state.store.pool()
            } else {
                h.b.state.store.pool()
            };
            loop {
                let done = stop.load(std::sync::atomic::Ordering::SeqCst);
                let page = feed::read(pool, &user, reader.cursor, limit).await.unwrap();
                let changes = serde_json::to_value(&page.changes).unwrap();
                reader.saw(changes.as_array().unwrap());
                if done && !page.more {
                    return reader;
                }
            }
        }));
    }

    let mut writers = Vec::new();
    // Senders: new sessions, on both instances (30 sends: 90 of the 100
    // free credits).
    for w in 0..6 {
        let (h, token) = (h.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            let base = if w % 2 == 0 { &h.a.url } else { &h.b.url };
            for n in 0..5 {
                send(&h, base, &token, None, &format!("writer {w} question {n}")).await;
            }
        }));
    }
    // Renamers: each its own session, renamed over and over.
    for w in 0..4 {
        let (h, token) = (h.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            let base = if w % 2 == 0 { &h.b.url } else { &h.a.url };
            let session = ok(
                &h,
                Method::POST,
                base,
                "/v1/sessions",
                &token,
                Some(json!({})),
            )
            .await;
            let path = format!("/v1/sessions/{}", session["id"]);
            for n in 0..40 {
                let base = if n % 2 == 0 { &h.a.url } else { &h.b.url };
                ok(
                    &h,
                    Method::PATCH,
                    base,
                    &path,
                    &token,
                    Some(json!({"title": format!("r{w} {n}")})),
                )
                .await;
            }
        }));
    }
    // Project editors: a project, tasks added, done, deleted.
    for w in 0..4 {
        let (h, token) = (h.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            let base = if w % 2 == 0 { &h.a.url } else { &h.b.url };
            let project = ok(
                &h,
                Method::POST,
                base,
                "/v1/projects",
                &token,
                Some(json!({"name": format!("p{w}")})),
            )
            .await;
            let tasks = format!("/v1/projects/{}/tasks", project["id"]);
            for n in 0..15 {
                let other = if n % 2 == 0 { &h.b.url } else { &h.a.url };
                let task = ok(
                    &h,
                    Method::POST,
                    other,
                    &tasks,
                    &token,
                    Some(json!({"title": format!("t{n}")})),
                )
                .await;
                let path = format!("/v1/tasks/{}", task["id"]);
                ok(
                    &h,
                    Method::PATCH,
                    base,
                    &path,
                    &token,
                    Some(json!({"status": "done"})),
                )
                .await;
                if n % 3 == 0 {
                    let (status, _) = h
                        .call(Method::DELETE, other, &path, Some(&token), None)
                        .await;
                    assert_eq!(status, StatusCode::NO_CONTENT);
                }
                ok(
                    &h,
                    Method::PATCH,
                    other,
                    &format!("/v1/projects/{}", project["id"]),
                    &token,
                    Some(json!({"description": format!("step {n}")})),
                )
                .await;
            }
        }));
    }
    // Creators: projects made and never changed again, so each one's only
    // change is also its last (a change superseded later could be missed
    // unnoticed).
    for w in 0..8 {
        let (h, token) = (h.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..40 {
                let base = if (w + n) % 2 == 0 { &h.a.url } else { &h.b.url };
                let name = format!("c{w} {n}");
                ok(
                    &h,
                    Method::POST,
                    base,
                    "/v1/projects",
                    &token,
                    Some(json!({"name": name})),
                )
                .await;
            }
        }));
    }
    // Clearers: a project with many tasks, then deleted — a transaction
    // that does much at commit (each task's feed row is dropped there).
    for w in 0..4 {
        let (h, token) = (h.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            for round in 0..5 {
                let base = if (w + round) % 2 == 0 {
                    &h.a.url
                } else {
                    &h.b.url
                };
                let project = ok(
                    &h,
                    Method::POST,
                    base,
                    "/v1/projects",
                    &token,
                    Some(json!({"name": format!("x{w} {round}")})),
                )
                .await;
                let path = format!("/v1/projects/{}", project["id"]);
                for n in 0..15 {
                    ok(
                        &h,
                        Method::POST,
                        base,
                        &format!("{path}/tasks"),
                        &token,
                        Some(json!({"title": format!("t{n}")})),
                    )
                    .await;
                }
                let (status, _) = h
                    .call(Method::DELETE, base, &path, Some(&token), None)
                    .await;
                assert_eq!(status, StatusCode::NO_CONTENT);
            }
        }));
    }
    for writer in writers {
        writer.await.expect("a writer");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (everything, _) = pull_all(&h, &h.a.url, &token, 0, 1000).await;
    let mut misses = Vec::new();
    for reader in readers {
        let reader = reader.await.expect("a reader");
        let missed: Vec<_> = everything
            .iter()
            .map(key_of)
            .filter(|key| !reader.seen.contains(key))
            .collect();
        println!(
            "concurrent feed: {} changes in the end; the reader through {} saw {} changes \
             over {} pulls and missed {}",
            everything.len(),
            reader.name,
            reader.seen.len(),
            reader.pulls,
            missed.len()
        );
        if !missed.is_empty() {
            misses.push((reader.name, missed));
        }
    }
    assert!(misses.is_empty(), "changes missed: {misses:?}");
    assert!(everything.len() > 450, "{}", everything.len());
    // The sends all landed (and nothing was overdrawn).
    let balance = h.a.state.ledger.verify(&alice.user_id).await.unwrap();
    assert_eq!(balance.balance, 10);
}

/// A database made before the feed existed: migrating it puts every record
/// into each account's feed once (parents before children, the ledger
/// last), and changes after that continue the account's positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_an_existing_database_feeds_what_it_holds() {
    /// A row made before the feed: its id.
    struct Made {
        id: i64,
    }
    use banter_core::db::postgres::PgStore;
    use banter_core::ids::RecordRef;
    use banter_core::projects::NewTask;
    use banter_server::routes::{projects::projects_for, sessions::chat_for};

    let url = banter_mocks::postgres::shared()
        .expect("test Postgres")
        .fresh_database()
        .expect("fresh database");
    let store = PgStore::connect_lazy(&url, 4).expect("store");
    // The schema as it was before the feed: every migration up to 0005.
    let (state, callers, clock) = schema_before(&store, 6).await;
    let alice = &callers[0];
    let chat = chat_for(&state, alice);
    // Rows as that schema holds them, written in its own terms (the core's
    // statements name columns later migrations add).
    let mut conn = store.pool().acquire().await.unwrap();
    let mut sessions = Vec::new();
    for (display_id, title) in [("CH-000001", Some("First")), ("CH-000002", None)] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(&alice.user_id)
        .bind(display_id)
        .bind(title)
        .bind(clock.now())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        sessions.push(Made { id });
    }
    let (first, second) = (&sessions[0], &sessions[1]);
    for (session, text) in [(first.id, "one"), (first.id, "two"), (second.id, "three")] {
        sqlx::query(
            "INSERT INTO chat_messages (session_id, user_id, role, content, status, created_at, updated_at)
             VALUES ($1, $2, 'user', $3, 'complete', $4, $4)",
        )
        .bind(session)
        .bind(&alice.user_id)
        .bind(text)
        .bind(clock.now())
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    drop(conn);
    let projects = projects_for(&state, alice);
    let garden = projects.create_project("Garden", "").await.unwrap();
    let soil = projects
        .add_task(
            &RecordRef::Id(garden.id),
            NewTask {
                title: "Buy soil".into(),
                ..NewTask::default()
            },
        )
        .await
        .unwrap();
    projects_for(&state, &callers[1])
        .create_project("Bob's", "")
        .await
        .unwrap();

    // Migrated as a new server version starts.
    store.migrate().await.expect("the feed's migration");
    let page = feed::read(store.pool(), &alice.user_id, 0, 1000)
        .await
        .unwrap();
    let order: Vec<_> = page
        .changes
        .iter()
        .map(|c| (serde_json::to_value(c.kind).unwrap(), c.id))
        .collect();
    let messages = chat
        .list_messages(&RecordRef::Id(first.id), None, None)
        .await
        .unwrap();
    let grant = state
        .ledger
        .history(&alice.user_id, None, 10)
        .await
        .unwrap();
    assert_eq!(grant.len(), 1);
    let mut expected = vec![
        (json!("session"), first.id),
        (json!("session"), second.id),
        (json!("project"), garden.id),
        (json!("task"), soil.id),
    ];
    let mut message_ids: Vec<i64> = messages.messages.iter().map(|m| m.id).collect();
    let others = chat
        .list_messages(&RecordRef::Id(second.id), None, None)
        .await
        .unwrap();
    message_ids.extend(others.messages.iter().map(|m| m.id));
    message_ids.sort();
    expected.extend(message_ids.iter().map(|id| (json!("message"), *id)));
    expected.push((json!("ledger"), grant[0].id));
    assert_eq!(order, expected);
    // Positions are filled account by account: consecutive here.
    let positions: Vec<i64> = page.changes.iter().map(|c| c.position).collect();
    let first_position = positions[0];
    assert!(first_position > 0);
    assert_eq!(
        positions,
        (first_position..first_position + expected.len() as i64).collect::<Vec<_>>()
    );
    assert!(page.changes.iter().all(|c| c.record.is_some()));
    assert_eq!(
        feed::head(store.pool(), &alice.user_id).await.unwrap(),
        page.cursor
    );
    // Bob's feed is his: his project and his grant.
    let bobs = feed::read(store.pool(), &callers[1].user_id, 0, 1000)
        .await
        .unwrap();
    assert_eq!(bobs.changes.len(), 2);

    // A change now takes a position after every one the migration gave.
    chat.rename_session(&RecordRef::Id(second.id), "Second")
        .await
        .unwrap();
    let next = feed::read(store.pool(), &alice.user_id, page.cursor, 1000)
        .await
        .unwrap();
    assert_eq!(next.changes.len(), 1);
    assert_eq!(next.changes[0].id, second.id);
    let everyones: i64 = sqlx::query_scalar("SELECT max(position) FROM account_changes")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(next.changes[0].position, everyones);
    assert!(everyones > bobs.cursor.max(page.cursor));
}

/// A server's state on a database migrated only up to (not including)
/// `version`, with alice and bob signed in, as an older server left it.
async fn schema_before(
    store: &banter_core::db::postgres::PgStore,
    version: i64,
) -> (
    banter_server::state::AppState,
    Vec<banter_server::auth::Caller>,
    banter_core::clock::SharedClock,
) {
    use banter_core::clock::{ManualClock, SharedClock};
    use sqlx::migrate::Migrator;
    use std::borrow::Cow;

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
    let mut before = Migrator::new(dir.as_path()).await.expect("the migrations");
    assert!(before.migrations.iter().any(|m| m.version == version));
    before.migrations = Cow::Owned(
        before
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect(),
    );
    before.run(store.pool()).await.expect("the old schema");

    let clock: SharedClock = Arc::new(ManualClock::new(banter_tests::at("2026-03-10T12:00:00Z")));
    let sign_in = banter_server::auth::sign_in::SignInProvider::new(
        "http://127.0.0.1:9".into(),
        banter_core::account::ClientCredentials {
            client_id: "banter".into(),
            client_secret: None,
        },
    );
    let state =
        banter_server::state::AppState::new(store.clone(), clock.clone(), "old".into(), sign_in);
    let mut callers = Vec::new();
    for who in ["alice", "bob"] {
        let signed = banter_server::accounts::sign_in(
            &state,
            &banter_tests::hosted::identity(who),
            "laptop",
        )
        .await
        .expect("sign in");
        callers.push(banter_server::auth::Caller {
            user_id: signed.user_id,
            device_id: signed.tokens.device_id,
        });
    }
    (state, callers, clock)
}

/// Upgrading a server whose feed devices already follow (0006) to the
/// cheaper bookkeeping (0007) keeps every position, so each device's
/// cursor still means what it did: what comes after it is exactly what
/// changed since, for every account, and new accounts get a feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrading_the_feeds_bookkeeping_keeps_every_devices_cursor() {
    use banter_core::db::postgres::PgStore;
    use sqlx::Connection as _;

    let url = banter_mocks::postgres::shared()
        .expect("test Postgres")
        .fresh_database()
        .expect("fresh database");
    let store = PgStore::connect_lazy(&url, 4).expect("store");
    let (state, callers, _clock) = schema_before(&store, 7).await;
    drop(state);
    let (alice, bob) = (&callers[0], &callers[1]);
    // Rows written in that schema's own terms (the core's statements name
    // columns later migrations add), on a connection of their own.
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut sessions = Vec::new();
    for (display_id, title) in [("CH-000001", "Kept"), ("CH-000002", "Old title")] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             VALUES ($1, $2, $3, now(), now()) RETURNING id",
        )
        .bind(&alice.user_id)
        .bind(display_id)
        .bind(title)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        sessions.push(id);
    }
    let (kept, renamed) = (sessions[0], sessions[1]);
    sqlx::query(
        "INSERT INTO projects (user_id, display_id, name, description, created_at, updated_at)
         VALUES ($1, 'PR-000001', 'Bob''s', '', now(), now())",
    )
    .bind(&bob.user_id)
    .execute(&mut conn)
    .await
    .unwrap();
    // Each account's feed as a device has read it: (position, kind, id, op).
    async fn feed_of(conn: &mut sqlx::PgConnection, user: &str) -> Vec<(i64, String, i64, String)> {
        sqlx::query_as(
            "SELECT position, kind::text, entity_id, op::text FROM account_changes
              WHERE user_id = $1 ORDER BY position",
        )
        .bind(user)
        .fetch_all(conn)
        .await
        .unwrap()
    }
    let alices = feed_of(&mut conn, &alice.user_id).await;
    let bobs = feed_of(&mut conn, &bob.user_id).await;
    assert_eq!(alices.len(), 3, "two sessions and the grant: {alices:?}");
    let cursor_of = |feed: &[(i64, String, i64, String)]| feed.last().map_or(0, |c| c.0);
    let (alices_cursor, bobs_cursor) = (cursor_of(&alices), cursor_of(&bobs));
    drop(conn);

    store.migrate().await.expect("the upgrade");
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    assert_eq!(
        feed_of(&mut conn, &alice.user_id).await,
        alices,
        "every position kept"
    );
    assert_eq!(feed_of(&mut conn, &bob.user_id).await, bobs);

    // After each cursor: exactly what changed since, after both cursors.
    sqlx::query("UPDATE chat_sessions SET title = 'New title', updated_at = now() WHERE id = $1")
        .bind(renamed)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM chat_sessions WHERE id = $1")
        .bind(kept)
        .execute(&mut conn)
        .await
        .unwrap();
    let store = PgStore::connect_lazy(&url, 4).expect("store");
    let next = feed::read(store.pool(), &alice.user_id, alices_cursor, 1000)
        .await
        .unwrap();
    let got: Vec<(i64, ChangeOp)> = next.changes.iter().map(|c| (c.id, c.op)).collect();
    assert_eq!(got, [(renamed, ChangeOp::Upsert), (kept, ChangeOp::Delete)]);
    assert!(next.changes[0].position > alices_cursor.max(bobs_cursor));
    assert_eq!(
        next.changes[0]
            .record
            .as_ref()
            .map(|r| serde_json::to_value(r).unwrap()["title"].clone()),
        Some(json!("New title"))
    );
    assert!(
        feed::read(store.pool(), &bob.user_id, bobs_cursor, 1000)
            .await
            .unwrap()
            .changes
            .is_empty(),
        "nothing of alice's in bob's feed"
    );
    // An account made after the upgrade has a feed of its own.
    let sign_in = banter_server::auth::sign_in::SignInProvider::new(
        "http://127.0.0.1:9".into(),
        banter_core::account::ClientCredentials {
            client_id: "banter".into(),
            client_secret: None,
        },
    );
    let clock: banter_core::clock::SharedClock = Arc::new(banter_core::clock::ManualClock::new(
        banter_tests::at("2026-03-10T12:00:00Z"),
    ));
    let state = banter_server::state::AppState::new(store.clone(), clock, "new".into(), sign_in);
    let carol = banter_server::accounts::sign_in(
        &state,
        &banter_tests::hosted::identity("carol"),
        "laptop",
    )
    .await
    .expect("sign in");
    let carols = feed::read(store.pool(), &carol.user_id, 0, 1000)
        .await
        .unwrap();
    assert_eq!(carols.changes.len(), 1, "her grant");
    assert_eq!(
        feed::head(store.pool(), &carol.user_id).await.unwrap(),
        carols.cursor
    );
}
