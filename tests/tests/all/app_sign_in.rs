//! The desktop app's sign-in: the system browser comes back through the
//! `banter://auth/callback` deep link, parsed by the same strict parser as
//! purchase links; the core finishes only the attempt it is waiting on. The
//! test is the browser (mock-oidc signs its default user in at once).

use banter_core::account::AuthorizationResponse;
use banter_core::billing::deep_link::{self, DeepLink};
use banter_core::hosted::{APP_REDIRECT_URI, APP_SIGN_IN_LIFETIME};
use banter_core::secrets::NoSecrets;
use banter_core::{Core, CoreOptions, ErrorCode};
use banter_tests::hosted::{oidc_signing_in_alice, Hosted};
use banter_tests::Env;

/// Opens `page` as the browser does and returns the link it is sent back
/// to, parsed as the app parses it.
async fn browse(page: &str) -> (String, AuthorizationResponse) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let answer = browser.get(page).send().await.expect("the sign-in page");
    let back = answer.headers()["location"]
        .to_str()
        .expect("a redirect")
        .to_string();
    match deep_link::parse(&back).expect("a link the app accepts") {
        DeepLink::AuthCallback(answer) => (back, answer),
        other => panic!("not a sign-in answer: {other:?}"),
    }
}

/// A desktop profile (its key store is memory, as in every core test).
async fn app() -> (Env, Core) {
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    (env, core)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_signs_in_through_the_deep_link_and_sees_the_servers_balance() {
    let oidc = oidc_signing_in_alice().await;
    let h = Hosted::signing_in_through(&oidc).await;
    let (_env, core) = app().await;

    let page = core.hosted().begin_app_sign_in(&h.a.url).await.unwrap();
    assert!(core.hosted().app_sign_in_pending());
    let query: Vec<(String, String)> = page.query_pairs().into_owned().collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(param("redirect_uri").as_deref(), Some(APP_REDIRECT_URI));
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    let (link, answer) = browse(page.as_str()).await;
    assert!(link.starts_with(APP_REDIRECT_URI), "{link}");

    let signed = core
        .hosted()
        .complete_app_sign_in(answer, "Banter on test")
        .await
        .unwrap();
    assert!(signed.created);
    assert!(!core.hosted().app_sign_in_pending());
    let account = core.hosted().account().await.unwrap().expect("signed in");
    assert_eq!(account.email.as_deref(), Some("alice@example.test"));
    let client = core.hosted().current().await.unwrap().expect("a client");
    // The server's balance, not the local one: the account's signup grant.
    let server_side = h.a.state.ledger.balance(&account.user_id).await.unwrap();
    assert_eq!(client.balance().await.unwrap(), server_side);
    let devices = client.devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name, "Banter on test");

    // Signing out revokes the device on the server and forgets it here.
    client.sign_out().await.unwrap();
    assert!(core.hosted().account().await.unwrap().is_none());
    let revoked = h.b.state.store.pool().clone();
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL")
        .fetch_one(&revoked)
        .await
        .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_with_another_state_neither_signs_in_nor_cancels_the_attempt() {
    let oidc = oidc_signing_in_alice().await;
    let h = Hosted::signing_in_through(&oidc).await;
    let (_env, core) = app().await;

    // No attempt waiting: any answer is refused.
    let stray = AuthorizationResponse::Code {
        code: "stolen".into(),
        state: "guessed".into(),
    };
    let refused = core
        .hosted()
        .complete_app_sign_in(stray.clone(), "Banter on test")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::SignInStateMismatch);

    // An attempt waiting: a forged answer is refused and the real one
    // still finishes it.
    let page = core.hosted().begin_app_sign_in(&h.b.url).await.unwrap();
    let refused = core
        .hosted()
        .complete_app_sign_in(stray, "Banter on test")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::SignInStateMismatch);
    assert!(core.hosted().app_sign_in_pending());
    assert!(core.hosted().account().await.unwrap().is_none());
    let (_, answer) = browse(page.as_str()).await;
    core.hosted()
        .complete_app_sign_in(answer.clone(), "Banter on test")
        .await
        .unwrap();
    // The same answer twice is the second attempt's no more.
    let again = core
        .hosted()
        .complete_app_sign_in(answer, "Banter on test")
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::SignInStateMismatch);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attempt_older_than_its_lifetime_is_refused_and_a_new_one_replaces_it() {
    let oidc = oidc_signing_in_alice().await;
    let h = Hosted::signing_in_through(&oidc).await;
    let (env, core) = app().await;

    // Just inside its lifetime the attempt still waits.
    let page = core.hosted().begin_app_sign_in(&h.a.url).await.unwrap();
    let (_, late) = browse(page.as_str()).await;
    env.clock
        .advance(APP_SIGN_IN_LIFETIME - chrono::TimeDelta::seconds(1));
    assert!(core.hosted().app_sign_in_pending());

    // Past it, even its own genuine answer is refused, and it is forgotten.
    env.clock.advance(chrono::TimeDelta::seconds(1));
    assert!(!core.hosted().app_sign_in_pending());
    let refused = core
        .hosted()
        .complete_app_sign_in(late.clone(), "Banter on test")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::SignInTimedOut);
    assert!(core.hosted().account().await.unwrap().is_none());
    let again = core
        .hosted()
        .complete_app_sign_in(late, "Banter on test")
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::SignInStateMismatch);

    // An expired attempt left waiting is replaced by a new one, whose own
    // lifetime starts afresh.
    let stale = core.hosted().begin_app_sign_in(&h.a.url).await.unwrap();
    env.clock.advance(APP_SIGN_IN_LIFETIME * 2);
    let page = core.hosted().begin_app_sign_in(&h.a.url).await.unwrap();
    assert_ne!(stale, page);
    assert!(core.hosted().app_sign_in_pending());
    let (_, answer) = browse(page.as_str()).await;
    core.hosted()
        .complete_app_sign_in(answer, "Banter on test")
        .await
        .unwrap();
    assert!(core.hosted().account().await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_whose_tokens_cannot_be_kept_is_signed_out_on_the_server() {
    let oidc = oidc_signing_in_alice().await;
    let h = Hosted::signing_in_through(&oidc).await;
    // A computer without a keyring: the tokens cannot be saved.
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = Core::open(CoreOptions {
        secrets: Some(std::sync::Arc::new(NoSecrets)),
        ..env.options()
    })
    .await
    .unwrap();

    let page = core.hosted().begin_app_sign_in(&h.a.url).await.unwrap();
    let (_, answer) = browse(page.as_str()).await;
    let refused = core
        .hosted()
        .complete_app_sign_in(answer, "Banter on test")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::KeyringUnavailable);
    assert!(core.hosted().account().await.unwrap().is_none());
    // The server made the device, and signed it out again.
    let pool = h.b.state.store.pool().clone();
    let (made, live): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(*) FILTER (WHERE revoked_at IS NULL) FROM devices")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((made, live), (1, 0));
}
