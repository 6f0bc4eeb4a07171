//! Keys go only where they belong: provider and Autumn
//! calls never follow a redirect, plain http is refused for any host but
//! loopback before anything connects, and a stored provider key is bound to
//! the endpoint it was saved for. Two mocks on different ports of 127.0.0.1
//! are two different hosts (origins) here.
//!
//! No test here sets `AZURE_OPENAI_*`: the process environment is shared.

use banter_core::billing::Product;
use banter_core::chat::MessageStatus;
use banter_core::ids::RecordRef;
use banter_core::model_settings::{KeySource, ProviderSettingsInput};
use banter_core::providers::{self, OpenAiCompatConfig, ProviderConfig, Secret};
use banter_core::ErrorCode;
use banter_core::{Core, Error};
use banter_mocks::autumn::{start_autumn, AutumnConfig, AutumnServer};
use banter_mocks::{MockConfig, MockServer};
use banter_tests::{mock_azure_config, verify, Env};
use std::net::SocketAddr;

const AZURE_KEY: &str = "azure-key-only-for-azure";
const COMPAT_KEY: &str = "compat-key-only-for-compat";

async fn mock_with_key(key: &str) -> MockServer {
    banter_mocks::start(MockConfig {
        api_key: key.into(),
        ..MockConfig::default()
    })
    .await
    .expect("start mock")
}

fn compat(base_url: &str) -> ProviderConfig {
    ProviderConfig::OpenAiCompatible(OpenAiCompatConfig {
        base_url: base_url.into(),
        model: "gpt-4o-mini".into(),
        streams: true,
        vision: false,
    })
}

async fn save(core: &Core, config: ProviderConfig, key: Option<&str>) -> Result<(), Error> {
    core.save_provider_settings(ProviderSettingsInput {
        config,
        api_key: key.map(str::to_string),
        clear_key: false,
    })
    .await
    .map(|_| ())
}

/// Sends `text` in a new session; the session id and the outcome.
async fn send(core: &Core, text: &str) -> (i64, Result<(), Error>) {
    let session = core
        .chat()
        .create_session(None)
        .await
        .expect("new session")
        .id;
    let result = banter_tests::send_text(core, session, text)
        .await
        .map(|_| ());
    (session, result)
}

async fn remaining(core: &Core) -> i64 {
    core.balance().await.expect("balance").remaining
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_redirect_to_another_host_is_not_followed_and_the_send_is_refunded() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let endpoint = mock_with_key(AZURE_KEY).await;
    let elsewhere = mock_with_key(AZURE_KEY).await;
    endpoint.redirect_to(Some(&elsewhere.base_url()));
    save(
        &core,
        mock_azure_config(&endpoint.base_url(), "o3-mini", true),
        Some(AZURE_KEY),
    )
    .await
    .unwrap();

    let (session, result) = send(&core, "a prompt for the configured host only").await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderRedirected, "{err}");
    assert!(
        err.to_string().contains(&elsewhere.addr().to_string()),
        "the error names the new location: {err}"
    );
    // Refunded: the failed reply is marked, the balance is whole again.
    let page = core
        .chat()
        .list_messages(&RecordRef::Id(session), None, None)
        .await
        .unwrap();
    let reply = page.messages.last().unwrap();
    assert_eq!(reply.status, MessageStatus::Error);
    assert_eq!(reply.content, "");
    assert_eq!(remaining(&core).await, 100);
    verify(&core).await;

    // The configured endpoint was asked once (a redirect is not retried);
    // the other host saw nothing: neither the key nor the prompt.
    assert_eq!(endpoint.requests().len(), 1);
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );

    // The connection check says the same, and still nothing reaches it.
    let err = core.check_connection(None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderRedirected);
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_azure_key_never_reaches_an_openai_compatible_server() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let azure = mock_with_key(AZURE_KEY).await;
    let local = mock_with_key(COMPAT_KEY).await;

    // Azure with its key: used, in the `api-key` header.
    let azure_config = mock_azure_config(&azure.base_url(), "gpt-4o-mini", true);
    save(&core, azure_config.clone(), Some(AZURE_KEY))
        .await
        .unwrap();
    send(&core, "to azure").await.1.unwrap();
    let seen = azure.requests();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].auth_ok);
    assert_eq!(seen[0].credential_headers, ["api-key"]);

    // Switching to a compatible server without a key: no key is configured
    // for it, and the request carries no credential at all.
    let local_config = compat(&format!("{}/v1", local.base_url()));
    save(&core, local_config.clone(), None).await.unwrap();
    let shown = core.provider_settings().await.unwrap();
    assert!(!shown.key_configured, "{shown:?}");
    assert_eq!(shown.key_source, KeySource::None);
    send(&core, "to the local server").await.1.unwrap();
    let seen = local.requests();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].credential_headers.is_empty(),
        "the Azure key went to the compatible server: {:?}",
        seen[0].credential_headers
    );

    // Its own key goes as a bearer token, and it is that key, not Azure's
    // (`auth_ok`: the mock accepts only its own key when one is sent).
    save(&core, local_config, Some(COMPAT_KEY)).await.unwrap();
    send(&core, "again").await.1.unwrap();
    let last = local.requests().pop().unwrap();
    assert_eq!(last.credential_headers, ["authorization"]);
    assert!(last.auth_ok);

    // Back to Azure: its key is still its own, the compatible key is not sent.
    save(&core, azure_config, None).await.unwrap();
    assert!(core.provider_settings().await.unwrap().key_configured);
    send(&core, "azure again").await.1.unwrap();
    let last = azure.requests().pop().unwrap();
    assert_eq!(last.credential_headers, ["api-key"]);
    assert!(last.auth_ok);
    assert_eq!(remaining(&core).await, 100 - 4 * 3);
    verify(&core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_host_asks_for_its_key_again() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let first = mock_with_key(AZURE_KEY).await;
    let moved = mock_with_key(AZURE_KEY).await;
    save(
        &core,
        mock_azure_config(&first.base_url(), "o3-mini", true),
        Some(AZURE_KEY),
    )
    .await
    .unwrap();
    assert!(core.provider_settings().await.unwrap().key_configured);

    // Same kind, same deployment, another host: the key stays behind.
    save(
        &core,
        mock_azure_config(&moved.base_url(), "o3-mini", true),
        None,
    )
    .await
    .unwrap();
    let shown = core.provider_settings().await.unwrap();
    assert!(!shown.key_configured, "{shown:?}");
    assert_eq!(shown.label, None, "no usable model without a key");
    let err = core.check_connection(None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderNotConfigured);
    assert!(moved.requests().is_empty());

    // A path change on the same host keeps the key (the origin is the same).
    save(
        &core,
        mock_azure_config(&format!("{}/", first.base_url()), "o3-mini", true),
        None,
    )
    .await
    .unwrap();
    assert!(core.provider_settings().await.unwrap().key_configured);
    core.check_connection(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_host_that_is_not_loopback_is_refused_before_connecting() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    // `.invalid` never resolves; the refusal must come from the URL alone.
    for config in [
        compat("http://example.invalid/v1"),
        mock_azure_config("http://example.invalid", "o3-mini", true),
        compat("http://10.0.0.1:11434/v1"),
    ] {
        let err = save(&core, config.clone(), Some("a-key"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InsecureEndpoint, "{config:?}: {err}");
        let err = providers::build(&config, Some(Secret::new("a-key"))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InsecureEndpoint);
    }
    let shown = core.provider_settings().await.unwrap();
    assert_eq!(shown.config, None, "nothing was saved");

    // Loopback over http stays allowed (local servers, these mocks);
    // https is allowed anywhere. Saving does not connect.
    for ok in [
        compat("http://localhost:11434/v1"),
        compat("http://127.0.0.1:11434/v1"),
        compat("http://[::1]:11434/v1"),
        mock_azure_config("https://res.openai.azure.com", "o3-mini", true),
    ] {
        save(&core, ok.clone(), None).await.unwrap();
        assert_eq!(core.provider_settings().await.unwrap().config, Some(ok));
    }

    // Autumn's URL too.
    let err = core
        .billing()
        .connect("http://example.invalid", Secret::new("am_sk_test"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::BillingInsecureEndpoint, "{err}");
}

async fn autumn() -> AutumnServer {
    start_autumn(
        AutumnConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("start mock Autumn")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_autumn_redirect_is_an_error_and_is_not_followed() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let billing = autumn().await;
    let elsewhere = autumn().await;
    billing.redirect_to(Some(&elsewhere.base_url()));
    core.billing()
        .connect(
            &billing.base_url(),
            Secret::new(AutumnConfig::default().secret_key),
        )
        .unwrap();

    let err = core
        .billing()
        .checkout(Product::Credits500)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::BillingRedirected, "{err}");
    assert!(err.to_string().contains(&elsewhere.base_url()), "{err}");
    let err = core.billing().reconcile().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BillingRedirected, "{err}");
    assert!(billing.api_calls() >= 2);
    assert_eq!(elsewhere.api_calls(), 0, "the billing key went elsewhere");
    assert_eq!(remaining(&core).await, 100);
    verify(&core).await;

    // Once Autumn answers normally again, the same client works.
    billing.redirect_to(None);
    let checkout = core.billing().checkout(Product::Credits500).await.unwrap();
    assert!(checkout.url.is_some());
    assert_eq!(elsewhere.api_calls(), 0);
}

/// A key saved by a version before keys were bound to endpoints is moved to
/// the endpoint saved in settings (where that version sent it), once: the
/// upgrade asks for nothing again, and the old entry is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_saved_before_binding_moves_to_the_saved_endpoint() {
    use banter_core::secrets::{SecretName, SecretStore};
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = mock_with_key(AZURE_KEY).await;
    let config = mock_azure_config(&mock.base_url(), "o3-mini", true);
    // What that version saved: its one model, and the key unbound.
    core.settings().set_provider(&config).await.unwrap();
    env.secrets
        .set(SecretName::LegacyProviderKey, &Secret::new(AZURE_KEY))
        .unwrap();

    let shown = core.provider_settings().await.unwrap();
    assert!(shown.key_configured, "{shown:?}");
    assert_eq!(shown.key_source, KeySource::Keyring);
    assert!(env
        .secrets
        .get(SecretName::LegacyProviderKey)
        .unwrap()
        .is_none());
    let slot = SecretName::provider_key(&config).unwrap();
    assert_eq!(
        env.secrets
            .get(slot)
            .unwrap()
            .map(|k| k.expose().to_string()),
        Some(AZURE_KEY.to_string())
    );
    core.check_connection(None).await.unwrap();

    // Bound now: another endpoint does not get it.
    let other = mock_with_key(AZURE_KEY).await;
    save(&core, compat(&other.base_url()), None).await.unwrap();
    assert!(!core.provider_settings().await.unwrap().key_configured);
}
