//! The core's hosted client (`banter_core::hosted`) in process: profiles
//! signed in to two server instances through `mock-oidc` and the loopback
//! listener (tokens in each profile's key store, memory here), then the
//! typed calls the CLI does not reach — devices, signing the others out,
//! export, open checkouts — and a copied refresh token coming back.

use banter_core::chat::ExportFormat;
use banter_core::hosted::{HostedClient, HostedError};
use banter_core::ids::RecordRef;
use banter_core::providers::Secret;
use banter_core::secrets::{SecretName, SecretStore};
use banter_core::{Core, ErrorCode};
use banter_mocks::oidc::{start_oidc, OidcConfig, OidcServer};
use banter_tests::hosted::Hosted;
use banter_tests::Env;
use std::time::Duration;

async fn oidc() -> OidcServer {
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

/// Signs `core`'s profile in to `server`, the test being the browser.
async fn sign_in(core: &Core, server: &str) -> HostedClient {
    let pending = core
        .hosted()
        .begin_sign_in(server)
        .await
        .expect("sign-in starts");
    let page = pending.authorization_url().to_string();
    let finishing =
        tokio::spawn(async move { pending.finish(Duration::from_secs(10), "test device").await });
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let answer = browser.get(&page).send().await.expect("the sign-in page");
    let back = answer.headers()["location"]
        .to_str()
        .expect("a redirect")
        .to_string();
    browser.get(&back).send().await.expect("the loopback page");
    finishing
        .await
        .expect("join")
        .expect("the sign-in finishes");
    core.hosted()
        .current()
        .await
        .expect("settings")
        .expect("signed in")
}

fn token_slot(core: &Core, server: &str) -> SecretName {
    SecretName::HostedTokens {
        origin: server.to_string(),
        profile: core.user_id().to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_export_checkouts_and_signing_the_others_out() {
    let oidc = oidc().await;
    let h = Hosted::signing_in_at(
        &chrono::Utc::now().to_rfc3339(),
        &oidc.issuer(),
        oidc.client_id(),
    )
    .await;
    let (laptop, desktop) = (
        Env::new("2026-03-10T12:00:00Z"),
        Env::new("2026-03-10T12:00:00Z"),
    );
    let (laptop_core, desktop_core) = (laptop.open().await, desktop.open().await);
    let first = sign_in(&laptop_core, &h.a.url).await;
    let second = sign_in(&desktop_core, &h.b.url).await;

    // One account, two devices.
    let me = first.account().await.unwrap();
    assert_eq!(second.account().await.unwrap().user_id, me.user_id);
    let devices = first.devices().await.unwrap();
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert!(devices.iter().any(|d| d.id == me.device_id));

    // Sessions made through one instance export through the other.
    let made = first.create_session(Some("Travel plans")).await.unwrap();
    let id = RecordRef::Display(made.display_id.clone());
    let markdown = second.export(&id, ExportFormat::Markdown).await.unwrap();
    assert!(
        markdown.file_name.ends_with(".md"),
        "{}",
        markdown.file_name
    );
    assert!(
        markdown.content.contains("Travel plans"),
        "{}",
        markdown.content
    );
    let json = second.export(&id, ExportFormat::Json).await.unwrap();
    assert!(
        json.content.contains("banter-session/1"),
        "{}",
        json.content
    );

    // A server refusal keeps its code (purchases are off on these instances).
    let refused = first.pending_checkouts().await.unwrap_err();
    assert_eq!(
        refused.code(),
        ErrorCode::BillingNotConfigured,
        "{refused:?}"
    );

    // Signing the others out: the desktop is told and forgets its sign-in.
    assert_eq!(first.sign_out_others().await.unwrap(), 1);
    match second.balance().await {
        Err(HostedError::SignedOut { code, .. }) => assert_eq!(code, ErrorCode::DeviceRevoked),
        other => panic!("{other:?}"),
    }
    assert!(desktop_core.hosted().account().await.unwrap().is_none());
    let slot = token_slot(&desktop_core, &h.b.url);
    assert!(desktop.secrets.get(slot).unwrap().is_none());
    assert_eq!(first.balance().await.unwrap().remaining, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_copied_refresh_token_coming_back_signs_the_device_out() {
    let oidc = oidc().await;
    let h = Hosted::signing_in_at(
        &chrono::Utc::now().to_rfc3339(),
        &oidc.issuer(),
        oidc.client_id(),
    )
    .await;
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    let client = sign_in(&core, &h.a.url).await;
    let slot = token_slot(&core, &h.a.url);
    let copied: Secret = env.secrets.get(slot.clone()).unwrap().expect("tokens");

    // The access token expires; the client refreshes (the copy's refresh
    // token is now used).
    h.clock
        .advance(banter_server::auth::devices::ACCESS_TOKEN_TTL + chrono::Duration::seconds(1));
    assert_eq!(client.balance().await.unwrap().remaining, 100);
    assert_ne!(
        env.secrets.get(slot.clone()).unwrap().unwrap().expose(),
        copied.expose()
    );

    // Someone holding the copy refreshes with it (another process, which
    // reads the tokens from the keyring): the device is signed out.
    env.secrets.set(slot.clone(), &copied).unwrap();
    let elsewhere = env.open().await;
    let thief = elsewhere
        .hosted()
        .current()
        .await
        .unwrap()
        .expect("signed in");
    match thief.balance().await {
        Err(HostedError::SignedOut { code, .. }) => {
            assert_eq!(code, ErrorCode::RefreshTokenReused)
        }
        other => panic!("{other:?}"),
    }
    assert!(env.secrets.get(slot).unwrap().is_none());
    assert!(core.hosted().account().await.unwrap().is_none());
    // The rightful client's tokens died with the device.
    let gone = client.balance().await.unwrap_err();
    assert!(
        matches!(
            gone.code(),
            ErrorCode::DeviceRevoked | ErrorCode::NotSignedIn
        ),
        "{gone:?}"
    );
}
