//! banter-server's accounts and devices: every `/v1` route refuses a request
//! without a valid token of a signed-in device (no token, a garbage one, an
//! expired one, a revoked device, a device revoked because its rotated
//! refresh token came back); the signup grant is once per account; sign-out
//! and "sign out other devices" take effect on every instance at once.

use banter_core::ledger::EntryKind;
use banter_server::auth::devices::ACCESS_TOKEN_TTL;
use banter_tests::hosted::Hosted;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every route that needs a signed-in caller (sign-out last, so the
/// refusal loops end with the routes that would sign a live token out).
const SIGNED_IN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/account"),
    ("GET", "/v1/devices"),
    ("GET", "/v1/credits"),
    ("GET", "/v1/ledger"),
    ("GET", "/v1/changes"),
    ("GET", "/v1/changes/stream"),
    ("GET", "/v1/sessions"),
    ("POST", "/v1/sessions"),
    ("GET", "/v1/sessions/1"),
    ("PATCH", "/v1/sessions/1"),
    ("DELETE", "/v1/sessions/1"),
    ("GET", "/v1/sessions/1/messages"),
    ("GET", "/v1/sessions/1/export?format=json"),
    ("GET", "/v1/projects"),
    ("POST", "/v1/projects"),
    ("GET", "/v1/projects/1"),
    ("PATCH", "/v1/projects/1"),
    ("DELETE", "/v1/projects/1"),
    ("POST", "/v1/projects/1/archive"),
    ("POST", "/v1/projects/1/tasks"),
    ("GET", "/v1/projects/1/pages"),
    ("POST", "/v1/projects/generate"),
    ("GET", "/v1/tasks"),
    ("GET", "/v1/tasks/1"),
    ("PATCH", "/v1/tasks/1"),
    ("DELETE", "/v1/tasks/1"),
    ("GET", "/v1/pages/1"),
    ("DELETE", "/v1/pages/1"),
    ("POST", "/v1/scrape"),
    ("POST", "/v1/purchases/checkout"),
    ("GET", "/v1/purchases/pending"),
    ("POST", "/v1/purchases/refresh"),
    ("POST", "/v1/auth/sign-out-others"),
    ("POST", "/v1/auth/sign-out"),
];

/// The routes of that table that answer 200 to a live token with no body.
const READS: &[&str] = &[
    "/v1/account",
    "/v1/devices",
    "/v1/credits",
    "/v1/ledger",
    "/v1/changes",
    "/v1/sessions",
    "/v1/projects",
    "/v1/tasks",
];

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("an HTTP method")
}

/// Asserts every signed-in route answers 401 with `code` for `token`, on
/// both instances.
async fn refused_everywhere(h: &Hosted, token: Option<&str>, code: &str) {
    for base in [&h.a.url, &h.b.url] {
        for (m, path) in SIGNED_IN_ROUTES {
            let (status, body) = h.call(method(m), base, path, token, None).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{m} {path} with {token:?}: {body}"
            );
            assert_eq!(body["code"], code, "{m} {path} with {token:?}: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_refuses_a_caller_without_a_live_token() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    // The token works first (on both instances), so the refusals below are
    // about the token, not the route.
    for base in [&h.a.url, &h.b.url] {
        for (m, path) in SIGNED_IN_ROUTES
            .iter()
            .filter(|(m, p)| *m == "GET" && READS.contains(p))
        {
            let (status, body) = h
                .call(
                    method(m),
                    base,
                    path,
                    Some(&alice.tokens.access_token),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{m} {path}: {body}");
        }
    }
    refused_everywhere(&h, None, "not_signed_in").await;
    refused_everywhere(&h, Some("bat_0000"), "not_signed_in").await;
    // A refresh token is no access token.
    refused_everywhere(&h, Some(&alice.tokens.refresh_token), "not_signed_in").await;

    // Expired: past its lifetime, on the shared clock.
    h.clock
        .advance(ACCESS_TOKEN_TTL + chrono::Duration::seconds(1));
    refused_everywhere(&h, Some(&alice.tokens.access_token), "token_expired").await;

    // Refreshed: a new access token works; the used refresh token, presented
    // again (a copy), signs the device out, so even the new token stops.
    let (status, fresh) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": alice.tokens.refresh_token})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let fresh_access = fresh["access_token"].as_str().unwrap().to_string();
    assert_ne!(fresh_access, alice.tokens.access_token);
    let (status, _) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/credits",
            Some(&fresh_access),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, reuse) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": alice.tokens.refresh_token})),
        )
        .await;
    assert_eq!(
        (status, reuse["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("refresh_token_reused"))
    );
    refused_everywhere(&h, Some(&fresh_access), "device_revoked").await;
    // The rotated refresh token the thief could not have used is dead too.
    let (status, dead) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": fresh["refresh_token"]})),
        )
        .await;
    assert_eq!(
        (status, dead["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("device_revoked"))
    );

    // Signed out: the device's token stops on both instances.
    let bob = h.sign_in("bob", "desktop").await;
    let (status, _) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/auth/sign-out",
            Some(&bob.tokens.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    refused_everywhere(&h, Some(&bob.tokens.access_token), "device_revoked").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_device_is_told_so_and_other_devices_keep_working() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let laptop = h.sign_in("carol", "laptop").await;
    let desktop = h.sign_in("carol", "desktop").await;
    let phone = h.sign_in("carol", "phone").await;
    assert_eq!(laptop.user_id, desktop.user_id);
    let (status, out) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/auth/sign-out-others",
            Some(&laptop.tokens.access_token),
            None,
        )
        .await;
    assert_eq!(
        (status, out["signedOut"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    for revoked in [&desktop, &phone] {
        let (status, body) = h
            .call(
                Method::POST,
                &h.a.url,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": revoked.tokens.refresh_token})),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("device_revoked"))
        );
    }
    let (status, devices) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/devices",
            Some(&laptop.tokens.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let devices = devices.as_array().unwrap();
    assert_eq!(devices.len(), 3);
    let live: Vec<_> = devices
        .iter()
        .filter(|d| d["revokedAt"].is_null())
        .collect();
    assert_eq!((live.len(), live[0]["name"].as_str()), (1, Some("laptop")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_free_credits_are_granted_once_per_account_not_per_device() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    // Ten first sign-ins of one person race on both instances.
    let mut tasks = Vec::new();
    for n in 0..10 {
        let state = if n % 2 == 0 {
            h.a.state.clone()
        } else {
            h.b.state.clone()
        };
        tasks.push(tokio::spawn(async move {
            banter_server::accounts::sign_in(
                &state,
                &banter_tests::hosted::identity("dave"),
                &format!("device {n}"),
            )
            .await
            .unwrap()
        }));
    }
    let mut users = Vec::new();
    let mut created = 0;
    for t in tasks {
        let signed = t.await.unwrap();
        created += usize::from(signed.created);
        users.push(signed.user_id);
    }
    users.dedup();
    assert_eq!((users.len(), created), (1, 1));
    let user = &users[0];
    let balance = h.a.state.ledger.balance(user).await.unwrap();
    assert_eq!((balance.remaining, balance.total), (100, 100));
    let grants = h.b.state.ledger.history(user, None, 100).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].kind, EntryKind::SignupGrant);
    // Another person is another account with its own grant.
    let erin = h.sign_in("erin", "laptop").await;
    assert_ne!(&erin.user_id, user);
    let (status, body) = h
        .call(
            Method::GET,
            &h.b.url,
            "/v1/credits",
            Some(&erin.tokens.access_token),
            None,
        )
        .await;
    assert_eq!(
        (status, body["remaining"].as_i64()),
        (StatusCode::OK, Some(100))
    );
    let (_, ledger) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/ledger",
            Some(&erin.tokens.access_token),
            None,
        )
        .await;
    let entries = ledger["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["userId"], erin.user_id.as_str());
}

#[tokio::test]
async fn readiness_follows_the_database() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    for base in [&h.a.url, &h.b.url] {
        let (status, body) = h.call(Method::GET, base, "/healthz", None, None).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("ok"))
        );
        let (status, body) = h.call(Method::GET, base, "/readyz", None, None).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("ready"))
        );
    }
    // An instance on a database nobody migrated is up but not ready.
    let empty = banter_mocks::postgres::shared()
        .unwrap()
        .fresh_database()
        .unwrap();
    let store = banter_core::db::postgres::PgStore::connect_lazy(&empty, 2).unwrap();
    assert!(store.ready().await.is_err(), "no migrations table yet");
    store.migrate().await.unwrap();
    assert!(store.ready().await.unwrap());
}
