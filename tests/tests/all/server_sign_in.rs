//! Signing in to banter-server through `mock-oidc` over real HTTP: the
//! client asks the server which provider to use, runs authorization code +
//! PKCE in the "browser" (the app's answer comes back as the
//! `banter://auth/callback` deep link, the CLI's to its loopback listener),
//! and hands the grant to the server, which exchanges it, verifies the ID
//! token, and issues this device's tokens. One person on two devices is one
//! account with one signup grant; a replayed code, a wrong audience and a
//! grant whose nonce was swapped are refused and create nothing.

use banter_core::account::{discovery, LoopbackListener, SignInAttempt};
use banter_core::billing::deep_link::{self, DeepLink};
use banter_mocks::oidc::{start_oidc, Misbehaviour, OidcConfig, OidcServer};
use banter_tests::hosted::Hosted;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const APP_REDIRECT: &str = "banter://auth/callback";

async fn mock() -> OidcServer {
    start_oidc(
        OidcConfig {
            default_user: Some("user-alice".into()),
            ..OidcConfig::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("start mock-oidc")
}

async fn hosted(mock: &OidcServer) -> Hosted {
    Hosted::signing_in_at(
        &chrono::Utc::now().to_rfc3339(),
        &mock.issuer(),
        mock.client_id(),
    )
    .await
    .following_real_time()
}

/// The client's start: the server names the provider; the client discovers
/// it and begins an attempt returning to `redirect_uri`.
async fn begin(h: &Hosted, base: &str, redirect_uri: &str) -> SignInAttempt {
    let (status, config) = h
        .call(Method::GET, base, "/v1/auth/config", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{config}");
    let metadata = discovery::fetch(config["issuer"].as_str().expect("sign-in step 1"))
        .await
        .expect("sign-in step 2");
    SignInAttempt::begin(
        &metadata,
        config["client_id"].as_str().expect("sign-in step 3"),
        redirect_uri,
    )
    .expect("sign-in step 4")
}

/// The system browser at the authorization URL: returns the redirect.
async fn browse(attempt: &SignInAttempt) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("sign-in step 5");
    let resp = browser
        .get(attempt.authorization_url().as_str())
        .send()
        .await
        .expect("sign-in step 6");
    assert_eq!(resp.status(), 302);
    resp.headers()["location"]
        .to_str()
        .expect("sign-in step 7")
        .to_string()
}

async fn exchange(h: &Hosted, base: &str, grant: &Value, device: &str) -> (StatusCode, Value) {
    h.call(
        Method::POST,
        base,
        "/v1/auth/token",
        None,
        Some(json!({"grant": grant, "device_name": device})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_and_the_cli_sign_in_to_one_account() {
    let mock = mock().await;
    let h = hosted(&mock).await;

    // The app: the answer arrives as a deep link through the strict parser.
    let attempt = begin(&h, &h.a.url, APP_REDIRECT).await;
    let link = browse(&attempt).await;
    let DeepLink::AuthCallback(answer) = deep_link::parse(&link).unwrap() else {
        panic!("not a sign-in link: {link}");
    };
    let grant = serde_json::to_value(attempt.finish(answer).unwrap()).unwrap();
    let (status, app) = exchange(&h, &h.b.url, &grant, "Alice's laptop").await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["created"], true);
    let app_token = app["access_token"].as_str().unwrap().to_string();
    let (_, me) = h
        .call(Method::GET, &h.a.url, "/v1/account", Some(&app_token), None)
        .await;
    assert_eq!(me["email"], "alice@example.test", "{me}");

    // A replayed code is refused (the provider burns it), and creates nothing.
    let (status, again) = exchange(&h, &h.a.url, &grant, "thief").await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("sign_in_refused")),
        "{again}"
    );

    // The CLI: the answer arrives at its loopback listener.
    let listener = LoopbackListener::bind().await.unwrap();
    let attempt = begin(&h, &h.b.url, listener.redirect_uri()).await;
    let waiting = tokio::spawn(listener.wait(Duration::from_secs(10)));
    let back = browse(&attempt).await;
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    let browser = reqwest::Client::new();
    assert!(browser
        .get(&back)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let answer = waiting.await.unwrap().unwrap();
    let grant = serde_json::to_value(attempt.finish(answer).unwrap()).unwrap();
    let (status, cli) = exchange(&h, &h.a.url, &grant, "banter-cli").await;
    assert_eq!(status, StatusCode::OK, "{cli}");
    assert_eq!(
        (cli["created"].as_bool(), &cli["user_id"]),
        (Some(false), &app["user_id"])
    );

    let (_, devices) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/devices",
            Some(cli["access_token"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(devices.as_array().unwrap().len(), 2);
    let (_, ledger) = h
        .call(Method::GET, &h.b.url, "/v1/ledger", Some(&app_token), None)
        .await;
    assert_eq!(
        ledger["entries"].as_array().unwrap().len(),
        1,
        "one signup grant for two devices"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_or_a_swapped_nonce_signs_nobody_in() {
    let mock = mock().await;
    let h = hosted(&mock).await;
    mock.misbehave(Misbehaviour {
        wrong_audience: true,
        ..Misbehaviour::default()
    });
    let attempt = begin(&h, &h.a.url, APP_REDIRECT).await;
    let DeepLink::AuthCallback(answer) = deep_link::parse(&browse(&attempt).await).unwrap() else {
        panic!("not a sign-in link");
    };
    let grant = serde_json::to_value(attempt.finish(answer).unwrap()).unwrap();
    let (status, body) = exchange(&h, &h.a.url, &grant, "laptop").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("id_token_invalid")),
        "{body}"
    );

    mock.misbehave(Misbehaviour::default());
    let attempt = begin(&h, &h.a.url, APP_REDIRECT).await;
    let DeepLink::AuthCallback(answer) = deep_link::parse(&browse(&attempt).await).unwrap() else {
        panic!("not a sign-in link");
    };
    let mut grant = serde_json::to_value(attempt.finish(answer).unwrap()).unwrap();
    grant["nonce"] = json!("a-nonce-the-provider-never-saw");
    let (status, body) = exchange(&h, &h.b.url, &grant, "laptop").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("id_token_invalid")),
        "{body}"
    );
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(h.a.state.store.pool())
        .await
        .unwrap();
    assert_eq!(accounts, 0);
}
