//! Hosted mode under test: a fresh database on the throwaway Postgres
//! cluster, migrated, and two `banter-server` instances on it (each with its
//! own pool, on its own 127.0.0.1 port), sharing one manual clock.

use crate::at;
use banter_core::account::ClientCredentials;
use banter_core::billing::autumn::AutumnClient;
use banter_core::billing::WebhookSecret;
use banter_core::clock::{ManualClock, SharedClock};
use banter_core::db::postgres::PgStore;
use banter_core::providers::Secret;
use banter_core::scrape::Network;
use banter_mocks::autumn::{start_autumn, AutumnConfig, AutumnServer};
use banter_server::accounts::{self, Identity, SignedIn};
use banter_server::auth::sign_in::SignInProvider;
use banter_server::state::AppState;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The issuer test identities come from.
pub const TEST_ISSUER: &str = "http://127.0.0.1/test-issuer";
/// The provider of instances whose tests never sign in through one.
const UNUSED_ISSUER: &str = "http://127.0.0.1:9";
/// Connections per instance.
const POOL_SIZE: u32 = 10;

/// One server instance: its base URL and its state (for direct calls).
pub struct Instance {
    pub url: String,
    pub state: AppState,
    _stop: oneshot::Sender<()>,
}

/// Two instances on one fresh database.
pub struct Hosted {
    pub a: Instance,
    pub b: Instance,
    pub clock: ManualClock,
    pub http: reqwest::Client,
}

impl Hosted {
    pub async fn start(time: &str) -> Self {
        Self::start_with(time, None, None, None).await
    }

    /// [`Self::start`] with accounts signing in at the (mock) OpenID
    /// Connect `issuer` as client `client_id`.
    pub async fn signing_in_at(time: &str, issuer: &str, client_id: &str) -> Self {
        let provider = SignInProvider::new(
            issuer.to_string(),
            ClientCredentials {
                client_id: client_id.to_string(),
                client_secret: None,
            },
        );
        Self::start_with(time, None, None, Some(provider)).await
    }

    /// [`Self::start`] with purchases going to the (mock) Autumn at `url`.
    pub async fn selling(time: &str, autumn_url: &str, key: &str) -> Self {
        let client = AutumnClient::new(autumn_url, Secret::new(key)).expect("Autumn client");
        Self::start_with(time, Some(client), None, None).await
    }

    /// [`Self::selling`], and Autumn's webhooks signed with `webhook_secret`
    /// are taken.
    pub async fn selling_with_webhooks(
        time: &str,
        autumn_url: &str,
        key: &str,
        webhook_secret: &str,
    ) -> Self {
        let client = AutumnClient::new(autumn_url, Secret::new(key)).expect("Autumn client");
        let secret = WebhookSecret::parse(webhook_secret).expect("a whsec_ secret");
        Self::start_with(time, Some(client), Some(secret), None).await
    }

    /// [`Self::start`] with scrapes resolving and judging addresses through
    /// `network` (a test resolver that stays on loopback).
    pub async fn scraping_through(time: &str, network: Network) -> Self {
        Self::start_parts(time, None, None, None, Some(network)).await
    }

    async fn start_with(
        time: &str,
        autumn: Option<AutumnClient>,
        webhooks: Option<WebhookSecret>,
        sign_in: Option<SignInProvider>,
    ) -> Self {
        Self::start_parts(time, autumn, webhooks, sign_in, None).await
    }

    async fn start_parts(
        time: &str,
        autumn: Option<AutumnClient>,
        webhooks: Option<WebhookSecret>,
        sign_in: Option<SignInProvider>,
        scrape_network: Option<Network>,
    ) -> Self {
        // Tests that do not sign in through a provider name one that is
        // never asked (nothing listens on port 9, the discard port).
        let sign_in = sign_in.unwrap_or_else(|| {
            SignInProvider::new(
                UNUSED_ISSUER.to_string(),
                ClientCredentials {
                    client_id: "banter".to_string(),
                    client_secret: None,
                },
            )
        });
        let database_url = banter_mocks::postgres::shared()
            .expect("test Postgres")
            .fresh_database()
            .expect("fresh database");
        let clock = ManualClock::new(at(time));
        let shared: SharedClock = Arc::new(clock.clone());
        let parts = Parts {
            autumn,
            webhooks,
            sign_in,
            scrape_network,
        };
        let a = instance(&database_url, shared.clone(), "a", parts.clone()).await;
        let b = instance(&database_url, shared, "b", parts).await;
        Self {
            a,
            b,
            clock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
        }
    }

    /// Signs `subject` in on a new device through instance a's account
    /// code (what the sign-in route runs once the ID token is verified).
    pub async fn sign_in(&self, subject: &str, device: &str) -> SignedIn {
        accounts::sign_in(&self.a.state, &identity(subject), device)
            .await
            .expect("sign in")
    }

    /// Sends a request to `base` with an optional bearer token; returns the
    /// status and the JSON body (`Null` when there is none).
    pub async fn call(
        &self,
        method: Method,
        base: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{base}{path}"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("server answers");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }
}

pub fn identity(subject: &str) -> Identity {
    Identity {
        issuer: TEST_ISSUER.to_string(),
        subject: subject.to_string(),
        email: Some(format!("{subject}@example.test")),
        name: None,
    }
}

/// What both instances are configured with.
#[derive(Clone)]
struct Parts {
    autumn: Option<AutumnClient>,
    webhooks: Option<WebhookSecret>,
    sign_in: SignInProvider,
    scrape_network: Option<Network>,
}

async fn instance(database_url: &str, clock: SharedClock, name: &str, parts: Parts) -> Instance {
    let store = PgStore::connect_lazy(database_url, POOL_SIZE).expect("store");
    store.migrate().await.expect("migrate");
    let mut state = AppState::new(store, clock, format!("test-{name}"), parts.sign_in);
    if let Some(client) = parts.autumn {
        state = state.with_autumn(client);
    }
    if let Some(secret) = parts.webhooks {
        state = state.with_webhook_secret(secret);
    }
    if let Some(network) = parts.scrape_network {
        state = state.with_scrape_network(network);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = state.clone();
    tokio::spawn(async move {
        let _ = banter_server::serve(serving, listener, async {
            let _ = stopped.await;
        })
        .await;
    });
    Instance {
        url,
        state,
        _stop: stop,
    }
}

/// The secret key the mock Autumn of [`mock_autumn`] accepts.
pub const AUTUMN_KEY: &str = "am_sk_test_mock";

/// A mock Autumn on 127.0.0.1 that shows payments at once.
pub async fn mock_autumn() -> AutumnServer {
    let config = AutumnConfig {
        secret_key: AUTUMN_KEY.into(),
        payment_lag: std::time::Duration::ZERO,
    };
    start_autumn(config, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("start mock Autumn")
}

/// Pays at the mock's checkout page as the browser does; returns where the
/// mock sends the browser (the `banter://purchase/complete` link).
pub async fn pay_in_browser(checkout_url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let paid = browser.post(checkout_url).send().await.expect("paying");
    assert_eq!(paid.status().as_u16(), 303);
    paid.headers()["location"]
        .to_str()
        .expect("a text location")
        .to_string()
}
