//! Autumn's webhooks end to end over real HTTP on 127.0.0.1: the mock
//! Autumn signs and delivers them as Svix does, a small receiver here does
//! what a server's endpoint does (verify over the raw body → the customer
//! → reconcile through the core's one grant path) and answers with a
//! status. A paid checkout announced by a webhook is granted once, also
//! when the webhook is redelivered under the same `svix-id` and when
//! Autumn lists the invoice twice; forged, tampered, stale and future
//! deliveries are refused and grant nothing; a webhook about another
//! customer or an event Banter does not act on changes nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use banter_core::billing::{webhook_customer, Product, WebhookSecret, WebhookVerifier};
use banter_core::clock::SystemClock;
use banter_core::ledger::EntryKind;
use banter_core::providers::Secret;
use banter_core::{Core, ErrorCode};
use banter_mocks::autumn::{paid_invoice, start_autumn, AutumnConfig, AutumnServer};
use banter_mocks::webhooks::{self, now_seconds, SignedWebhook};
use banter_tests::{rows_of_kind, verify, Env};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "am_sk_test_mock";
/// The endpoint's signing secret, as Autumn's dashboard shows it.
const SECRET: &str = "whsec_dGhlLXdlYmhvb2stc2VjcmV0LW9mLXRoZS10ZXN0cw==";
/// Another secret: what a forger would sign with.
const FORGED: &str = "whsec_bm90LXRoZS1lbmRwb2ludHMtc2VjcmV0";

/// What the receiver did with one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Refused(ErrorCode),
    /// Verified; `fulfilled` is `None` when it named nothing to reconcile
    /// (another customer, an ignored event), else the purchases granted.
    Accepted {
        svix_id: String,
        customer: Option<String>,
        fulfilled: Option<usize>,
    },
}

#[derive(Clone)]
struct Receiver {
    verifier: WebhookVerifier,
    core: Core,
    log: Arc<Mutex<Vec<Outcome>>>,
}

/// The endpoint: verify the raw body, then reconcile whom it names.
async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let outcome = match r.verifier.verify(&headers, &body) {
        Err(error) => Outcome::Refused(error.code()),
        Ok(webhook) => {
            let report = r
                .core
                .billing()
                .reconcile_webhook(&webhook)
                .await
                .expect("reconcile");
            Outcome::Accepted {
                svix_id: webhook.id.clone(),
                customer: webhook_customer(&webhook).map(|c| c.as_str().to_string()),
                fulfilled: report.map(|r| r.fulfilled.len()),
            }
        }
    };
    let status = match outcome {
        Outcome::Refused(_) => StatusCode::BAD_REQUEST,
        Outcome::Accepted { .. } => StatusCode::NO_CONTENT,
    };
    r.log.lock().expect("the log").push(outcome);
    status
}

struct Shop {
    _env: Env,
    core: Core,
    autumn: AutumnServer,
    /// The receiver's URL.
    hooks: String,
    log: Arc<Mutex<Vec<Outcome>>>,
}

impl Shop {
    async fn open() -> Self {
        let env = Env::new("2026-03-10T09:00:00Z");
        let autumn = start_autumn(
            AutumnConfig {
                secret_key: KEY.into(),
                payment_lag: Duration::ZERO,
            },
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .expect("start mock Autumn");
        let core = env.open().await;
        core.billing()
            .connect(&autumn.base_url(), Secret::new(KEY))
            .expect("connect");
        // The verifier's clock is the wall clock the mock signs with.
        let verifier = WebhookVerifier::new(
            WebhookSecret::parse(SECRET).expect("secret"),
            Arc::new(SystemClock),
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let receiver = Receiver {
            verifier,
            core: core.clone(),
            log: log.clone(),
        };
        let app = Router::new()
            .route("/hooks/autumn", post(receive))
            .with_state(receiver);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let hooks = format!(
            "http://{}/hooks/autumn",
            listener.local_addr().expect("its address")
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            _env: env,
            core,
            autumn,
            hooks,
            log,
        }
    }

    fn customer_id(&self) -> String {
        self.core.profile().id.clone()
    }

    fn outcomes(&self) -> Vec<Outcome> {
        self.log.lock().expect("the log").clone()
    }

    async fn remaining(&self) -> i64 {
        self.core.balance().await.expect("balance").remaining
    }

    /// Checkout and pay for a 500-credit pack as the browser does (the
    /// return link is not followed: only a webhook or a reconcile grants).
    async fn buy_500(&self) {
        let checkout = self
            .core
            .billing()
            .checkout(Product::Credits500)
            .await
            .expect("checkout");
        let url = checkout.url.expect("a payment page");
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let paid = browser.post(&url).send().await.expect("paying");
        assert_eq!(paid.status().as_u16(), 303);
    }

    /// Waits until the mock has sent `n` webhooks.
    async fn wait_for_deliveries(&self, n: usize) -> Vec<banter_mocks::autumn::Delivery> {
        for _ in 0..200 {
            let sent = self.autumn.deliveries();
            if sent.len() >= n {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "the mock sent {} webhooks, not {n}",
            self.autumn.deliveries().len()
        );
    }

    async fn purchase_rows(&self) -> usize {
        rows_of_kind(&self.core, EntryKind::Purchase).await.len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_checkout_announced_by_webhook_is_granted_once_despite_redelivery_and_a_repeated_invoice(
) {
    let shop = Shop::open().await;
    shop.autumn
        .send_webhooks_to(&shop.hooks, SECRET)
        .expect("webhooks on");
    shop.buy_500().await;

    // Autumn announces the payment; the receiver verifies and reconciles.
    let sent = shop.wait_for_deliveries(1).await;
    assert_eq!(sent[0].status, Some(204), "{sent:?}");
    let first = sent[0].webhook.clone();
    assert!(first.body.contains("customer.products.updated"));
    let customer = Some(shop.customer_id());
    assert_eq!(
        shop.outcomes(),
        vec![Outcome::Accepted {
            svix_id: first.id.clone(),
            customer: customer.clone(),
            fulfilled: Some(1),
        }]
    );
    assert_eq!(shop.remaining().await, 600);

    // Svix redelivers the same message (same svix-id, signed again later
    // in real life; byte for byte here): verified again, granted nothing.
    assert_eq!(first.deliver(&shop.hooks).await.unwrap(), 204);
    // Autumn lists the same invoice twice, and says so again.
    shop.autumn.add_invoice(
        &shop.customer_id(),
        paid_invoice(json!("in_mock_co_mock_1"), &["credits_500"]),
    );
    let again = shop
        .autumn
        .deliver_webhook(
            &shop.hooks,
            SECRET,
            &webhooks::billing_updated(&shop.customer_id()),
        )
        .await
        .unwrap();
    assert_eq!(again.status, Some(204));
    let outcomes = shop.outcomes();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(
        outcomes[1],
        Outcome::Accepted {
            svix_id: first.id.clone(),
            customer: customer.clone(),
            fulfilled: Some(0),
        }
    );
    assert_eq!(
        outcomes[2],
        Outcome::Accepted {
            svix_id: again.webhook.id.clone(),
            customer,
            fulfilled: Some(0),
        }
    );
    assert_ne!(again.webhook.id, first.id);
    assert_eq!(shop.remaining().await, 600, "granted exactly once");
    assert_eq!(shop.purchase_rows().await, 1);
    let report = verify(&shop.core).await;
    assert_eq!(report.balance, 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_stale_and_future_webhooks_are_refused_and_grant_nothing() {
    let shop = Shop::open().await;
    let me = shop.customer_id();
    // Autumn really has a paid invoice for us: a reconcile would grant it,
    // so a balance still at 100 shows no refused webhook reconciled.
    shop.buy_500().await;
    assert_eq!(shop.remaining().await, 100);

    let event = webhooks::billing_updated(&me);
    // Signed with someone else's secret.
    let forged = shop
        .autumn
        .deliver_webhook(&shop.hooks, FORGED, &event)
        .await
        .unwrap();
    assert_eq!(forged.status, Some(400));
    // Signed right, then one byte of the body changed on the way.
    let genuine = SignedWebhook::sign(SECRET, "msg_tampered", now_seconds(), &event).unwrap();
    let tampered = SignedWebhook {
        body: genuine
            .body
            .replacen("billing.updated", "billing.updatee", 1),
        ..genuine.clone()
    };
    assert_eq!(tampered.deliver(&shop.hooks).await.unwrap(), 400);
    // Signed right, more than five minutes ago / ahead.
    let stale = SignedWebhook::sign(SECRET, "msg_stale", now_seconds() - 600, &event).unwrap();
    assert_eq!(stale.deliver(&shop.hooks).await.unwrap(), 400);
    let future = SignedWebhook::sign(SECRET, "msg_future", now_seconds() + 600, &event).unwrap();
    assert_eq!(future.deliver(&shop.hooks).await.unwrap(), 400);
    // Headers missing.
    let bare = reqwest::Client::new()
        .post(&shop.hooks)
        .body(genuine.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 400);

    assert_eq!(
        shop.outcomes(),
        vec![
            Outcome::Refused(ErrorCode::WebhookBadSignature),
            Outcome::Refused(ErrorCode::WebhookBadSignature),
            Outcome::Refused(ErrorCode::WebhookTimestampOutOfRange),
            Outcome::Refused(ErrorCode::WebhookTimestampOutOfRange),
            Outcome::Refused(ErrorCode::WebhookMissingHeader),
        ]
    );
    assert_eq!(shop.remaining().await, 100, "nothing granted");
    assert_eq!(shop.purchase_rows().await, 0);

    // The genuine delivery, untouched, is accepted and reconciles.
    assert_eq!(genuine.deliver(&shop.hooks).await.unwrap(), 204);
    assert_eq!(shop.remaining().await, 600);
    verify(&shop.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_about_someone_else_or_an_ignored_event_changes_nothing() {
    let shop = Shop::open().await;
    let me = shop.customer_id();
    shop.buy_500().await;
    let events = [
        webhooks::billing_updated("someone-else"),
        webhooks::products_updated(json!({"id": "someone-else"}), "new", "credits_500"),
        json!({"type": "customer.threshold_reached", "data": {"customer": {"id": me}}}),
        json!({"type": "billing.updated", "data": {"customer_id": ""}}),
    ];
    for event in &events {
        let sent = shop
            .autumn
            .deliver_webhook(&shop.hooks, SECRET, event)
            .await
            .unwrap();
        assert_eq!(sent.status, Some(204), "acknowledged: {event}");
    }
    let outcomes = shop.outcomes();
    assert_eq!(outcomes.len(), events.len());
    for outcome in &outcomes {
        assert!(
            matches!(
                outcome,
                Outcome::Accepted {
                    fulfilled: None,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(shop.remaining().await, 100, "no reconcile ran");
    assert_eq!(shop.purchase_rows().await, 0);
}
