//! Hosted mode under test: a fresh database on the throwaway Postgres
//! cluster, migrated, and two `banter-server` instances on it (each with its
//! own pool, on its own 127.0.0.1 port), sharing one manual clock.

use crate::at;
use banter_core::account::ClientCredentials;
use banter_core::billing::autumn::AutumnClient;
use banter_core::billing::WebhookSecret;
use banter_core::clock::{ManualClock, SharedClock};
use banter_core::db::postgres::PgStore;
use banter_core::providers::{ChatProvider, Secret};
use banter_core::scrape::Network;
use banter_mocks::autumn::{start_autumn, AutumnConfig, AutumnServer};
use banter_server::accounts::{self, Identity, SignedIn};
use banter_server::auth::sign_in::SignInProvider;
use banter_server::state::AppState;
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::pin::Pin;
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
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    serving: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Instance {
    /// Shuts the instance down as SIGTERM does and waits until `serve`
    /// returns (which is after every reply it was streaming has ended).
    pub async fn shut_down(&self) {
        drop(self.stop.lock().expect("stop switch").take());
        if let Some(serving) = self.serving.lock().await.take() {
            serving.await.expect("serve ends");
        }
    }
}

/// Two instances on one fresh database.
pub struct Hosted {
    /// The database both instances share (a third may join it).
    pub database_url: String,
    pub a: Instance,
    pub b: Instance,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    /// Set by [`Self::following_real_time`].
    real_time: Option<AbortOnDrop>,
}

/// A task stopped when its owner is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Hosted {
    pub async fn start(time: &str) -> Self {
        Self::start_with(time, Parts::default()).await
    }

    /// [`Self::start`] with replies answered by `model`, and replies in
    /// flight at a shutdown given `grace`.
    pub async fn chatting(
        time: &str,
        model: Arc<dyn ChatProvider>,
        grace: std::time::Duration,
    ) -> Self {
        let parts = Parts {
            model: Some(model),
            grace: Some(grace),
            ..Parts::default()
        };
        Self::start_with(time, parts).await
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
        let parts = Parts {
            sign_in: Some(provider),
            ..Parts::default()
        };
        Self::start_with(time, parts).await
    }

    /// [`Self::signing_in_at`] the mock issuer `oidc`, the clock at the
    /// real now (the issuer's ID tokens carry real times).
    pub async fn signing_in_through(oidc: &banter_mocks::oidc::OidcServer) -> Self {
        Self::signing_in_through_with(oidc, Parts::default()).await
    }

    /// [`Self::signing_in_through`] with more `parts` (a model, scraping).
    pub async fn signing_in_through_with(
        oidc: &banter_mocks::oidc::OidcServer,
        parts: Parts,
    ) -> Self {
        let parts = Parts {
            sign_in: Some(SignInProvider::new(
                oidc.issuer(),
                ClientCredentials {
                    client_id: oidc.client_id().to_string(),
                    client_secret: None,
                },
            )),
            ..parts
        };
        Self::start_with(&chrono::Utc::now().to_rfc3339(), parts)
            .await
            .following_real_time()
    }

    /// [`Self::start`] with purchases going to the (mock) Autumn at `url`.
    pub async fn selling(time: &str, autumn_url: &str, key: &str) -> Self {
        let client = AutumnClient::new(autumn_url, Secret::new(key)).expect("Autumn client");
        let parts = Parts {
            autumn: Some(client),
            ..Parts::default()
        };
        Self::start_with(time, parts).await
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
        let parts = Parts {
            autumn: Some(client),
            webhooks: Some(secret),
            ..Parts::default()
        };
        Self::start_with(time, parts).await
    }

    /// [`Self::start`] with scrapes resolving and judging addresses through
    /// `network` (a test resolver that stays on loopback).
    pub async fn scraping_through(time: &str, network: Network) -> Self {
        let parts = Parts {
            scrape_network: Some(network),
            ..Parts::default()
        };
        Self::start_with(time, parts).await
    }

    /// Two instances on a fresh database, with `parts`.
    pub async fn start_with(time: &str, parts: Parts) -> Self {
        let database_url = banter_mocks::postgres::shared()
            .expect("test Postgres")
            .fresh_database()
            .expect("fresh database");
        Self::on_database(&database_url, time, parts).await
    }

    /// Two instances on the existing database at `database_url`.
    pub async fn on_database(database_url: &str, time: &str, mut parts: Parts) -> Self {
        // Tests that do not sign in through a provider name one that is
        // never asked (nothing listens on port 9, the discard port).
        parts.sign_in.get_or_insert_with(|| {
            SignInProvider::new(
                UNUSED_ISSUER.to_string(),
                ClientCredentials {
                    client_id: "banter".to_string(),
                    client_secret: None,
                },
            )
        });
        let clock = ManualClock::new(at(time));
        let shared: SharedClock = Arc::new(clock.clone());
        let a = instance(database_url, shared.clone(), "a", parts.clone()).await;
        let b = instance(database_url, shared, "b", parts).await;
        Self {
            database_url: database_url.to_string(),
            a,
            b,
            clock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            real_time: None,
        }
    }

    /// Keeps the instances' clock from falling behind the real time (it
    /// still moves on when a test advances it, and never goes back). For
    /// servers that accounts sign in to through the mock provider: its ID
    /// tokens carry the real time, which the server checks against its own
    /// within `banter_core::account::id_token::CLOCK_LEEWAY`, so a clock frozen at the
    /// start would refuse every sign-in made after a slow setup.
    /// Both instances beat at each step, so the time going by never makes
    /// one look gone to the other.
    pub fn following_real_time(mut self) -> Self {
        let clock = self.clock.clone();
        let states = [self.a.state.clone(), self.b.state.clone()];
        let task = tokio::spawn(async move {
            loop {
                clock.set_at_least(chrono::Utc::now());
                for state in &states {
                    let beat = banter_server::instances::beat(
                        state.store.pool(),
                        &state.instance,
                        state.clock.now(),
                    );
                    if let Err(error) = beat.await {
                        eprintln!("a test instance's heartbeat failed: {error}");
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        });
        self.real_time = Some(AbortOnDrop(task));
        self
    }

    /// Both instances say they are alive at the clock's time (as their
    /// heartbeat does in `banter-server`; here the test moves the clock).
    pub async fn beat(&self) {
        for instance in [&self.a, &self.b] {
            let state = &instance.state;
            banter_server::instances::beat(state.store.pool(), &state.instance, state.clock.now())
                .await
                .expect("heartbeat");
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

/// A chat send's answer: refused before the reply opened, or its events.
pub enum Sent {
    Refused(StatusCode, Value),
    Streaming(EventStream),
}

/// The name [`Hosted::stream`] gives a connection that broke mid-stream.
pub const BROKEN: &str = "broken";

/// A reply's server-sent events as (name, JSON data), in order; a broken
/// connection ends it with a [`BROKEN`] event.
pub type EventStream = Pin<Box<dyn Stream<Item = (String, Value)> + Send>>;

impl Sent {
    /// The events, or a failure naming the refusal.
    pub fn events(self) -> EventStream {
        match self {
            Self::Streaming(events) => events,
            Self::Refused(status, body) => panic!("the send was refused: {status} {body}"),
        }
    }

    /// Every event to the end of the stream.
    pub async fn all_events(self) -> Vec<(String, Value)> {
        self.events().collect().await
    }
}

impl Hosted {
    /// `POST {base}{path}` with `body` as `token`, read as a reply stream.
    pub async fn stream(&self, base: &str, path: &str, token: &str, body: Value) -> Sent {
        let resp = self
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("server answers");
        let status = resp.status();
        let is_stream = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            let body = resp.json().await.unwrap_or(Value::Null);
            return Sent::Refused(status, body);
        }
        assert_eq!(status, StatusCode::OK);
        let events = resp.bytes_stream().eventsource().map(|event| match event {
            Ok(event) => {
                let data = serde_json::from_str(&event.data).expect("JSON event data");
                (event.event, data)
            }
            // The connection broke (a server killed mid-reply).
            Err(error) => (BROKEN.to_string(), Value::String(error.to_string())),
        });
        Sent::Streaming(Box::pin(events))
    }

    /// `POST /v1/chat/send` on `base`.
    pub async fn send(&self, base: &str, token: &str, body: Value) -> Sent {
        self.stream(base, "/v1/chat/send", token, body).await
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

/// What both instances are configured with; unset parts are off.
#[derive(Clone, Default)]
pub struct Parts {
    pub autumn: Option<AutumnClient>,
    pub webhooks: Option<WebhookSecret>,
    pub sign_in: Option<SignInProvider>,
    pub model: Option<Arc<dyn ChatProvider>>,
    /// Named models, the first the default; set, they replace `model`.
    pub models: Vec<(String, Arc<dyn ChatProvider>)>,
    pub grace: Option<std::time::Duration>,
    pub scrape_network: Option<Network>,
}

async fn instance(database_url: &str, clock: SharedClock, name: &str, parts: Parts) -> Instance {
    let store = PgStore::connect_lazy(database_url, POOL_SIZE).expect("store");
    store.migrate().await.expect("migrate");
    let sign_in = parts.sign_in.expect("a sign-in provider");
    let mut state = AppState::new(store, clock, format!("test-{name}"), sign_in);
    if let Some(model) = parts.model {
        state = state.with_model(model);
    }
    if !parts.models.is_empty() {
        let models = parts
            .models
            .into_iter()
            .map(|(name, provider)| banter_core::providers::NamedModel {
                name,
                provider: Ok(provider),
            })
            .collect();
        state = state.with_models(models, None);
    }
    if let Some(grace) = parts.grace {
        state = state.with_shutdown_grace(grace);
    }
    if let Some(client) = parts.autumn {
        state = state.with_autumn(client);
    }
    if let Some(secret) = parts.webhooks {
        state = state.with_webhook_secret(secret);
    }
    if let Some(network) = parts.scrape_network {
        state = state.with_scrape_network(network);
    }
    // Alive before it answers anything, as `banter-server` is.
    banter_server::instances::beat(state.store.pool(), &state.instance, state.clock.now())
        .await
        .expect("heartbeat");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = state.clone();
    let serving = tokio::spawn(async move {
        let _ = banter_server::serve(serving, listener, async {
            let _ = stopped.await;
        })
        .await;
    });
    Instance {
        url,
        state,
        stop: std::sync::Mutex::new(Some(stop)),
        serving: tokio::sync::Mutex::new(Some(serving)),
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

/// A mock OpenID Connect issuer on 127.0.0.1 that signs `user-alice` in
/// without asking.
pub async fn oidc_signing_in_alice() -> banter_mocks::oidc::OidcServer {
    banter_mocks::oidc::start_oidc(
        banter_mocks::oidc::OidcConfig {
            default_user: Some("user-alice".into()),
            ..banter_mocks::oidc::OidcConfig::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("start mock-oidc")
}

/// Signs `core`'s profile in to the server at `server` through the
/// loopback redirect (the CLI's way), the test being the browser.
pub async fn sign_in_core(
    core: &banter_core::Core,
    server: &str,
) -> banter_core::hosted::HostedClient {
    sign_in_core_as(core, server, None).await
}

/// [`sign_in_core`] as the mock issuer's test user `user` (its default
/// user without one).
pub async fn sign_in_core_as(
    core: &banter_core::Core,
    server: &str,
    user: Option<&str>,
) -> banter_core::hosted::HostedClient {
    let pending = core
        .hosted()
        .begin_sign_in(server)
        .await
        .expect("sign-in starts");
    let mut page = pending.authorization_url().clone();
    if let Some(user) = user {
        page.query_pairs_mut().append_pair("login_hint", user);
    }
    let page = page.to_string();
    let finishing = tokio::spawn(async move {
        pending
            // A failure bound only: under heavy load the two page loads
            // below can take seconds each.
            .finish(std::time::Duration::from_secs(60), "test device")
            .await
    });
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

/// Two instances whose model is the mock Azure deployment `gpt-4o`, signing
/// `user-alice` in through a mock issuer; dropping it stops them all.
pub struct Chatting {
    pub oidc: banter_mocks::oidc::OidcServer,
    pub azure: banter_mocks::MockServer,
    pub h: Hosted,
}

impl Chatting {
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// [`Self::start`] with the model marked vision-capable (`vision`).
    pub async fn start_with(vision: bool) -> Self {
        let oidc = oidc_signing_in_alice().await;
        let azure = banter_mocks::azure::start(banter_mocks::azure::MockConfig::default())
            .await
            .expect("mock Azure");
        let mut config = crate::mock_azure_config(&azure.base_url(), "gpt-4o", true);
        if let banter_core::providers::ProviderConfig::Azure(azure) = &mut config {
            azure.vision = vision;
        }
        let model = banter_core::providers::build(&config, Some(Secret::new("test-key")))
            .expect("the mock model");
        let parts = Parts {
            model: Some(model),
            ..Parts::default()
        };
        let h = Hosted::signing_in_through_with(&oidc, parts).await;
        Self { oidc, azure, h }
    }

    /// A network between a device and instance `a` that a test can take
    /// down and bring back (`banter_mocks::gateway`).
    pub async fn gateway_to_a(&self) -> banter_mocks::gateway::Gateway {
        let target: std::net::SocketAddr = self
            .h
            .a
            .url
            .trim_start_matches("http://")
            .parse()
            .expect("the instance's address");
        banter_mocks::gateway::Gateway::start(target)
            .await
            .expect("gateway")
    }
}

/// The signed-in account's history on `core` (signed in by the test).
pub async fn history(core: &banter_core::Core) -> banter_core::hosted::HostedHistory {
    core.hosted()
        .history()
        .await
        .expect("settings")
        .expect("signed in")
}

/// A plain send of `content` into `session` through the server (no
/// context, key or files).
pub fn send_in(session: i64, content: &str) -> banter_core::hosted::HostedSend {
    banter_core::hosted::HostedSend {
        session: Some(banter_core::ids::RecordRef::Id(session)),
        content: content.to_string(),
        include_context: false,
        idempotency_key: None,
        edit_of: None,
        attachments: Vec::new(),
    }
}
