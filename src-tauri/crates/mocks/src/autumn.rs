//! A mock Autumn billing server: the legacy REST API at `x-api-version: 1.2`
//! (what `autumn-js` speaks), over real HTTP on 127.0.0.1.
//!
//! - `POST /v1/customers` get-or-create, `GET /v1/customers/{id}[?expand=invoices]`
//! - `POST /v1/checkout` → `{url}` pointing at this server's own "pay" page
//! - `POST /v1/check` (alias `/v1/entitled`): the product form
//!   (`product_id: "pro"`) and the feature form (`feature_id: "credits"`,
//!   allowed and unlimited while Pro is active)
//! - `GET /pay/{id}` shows the page; `POST /pay/{id}` pays and redirects to
//!   the checkout's `success_url`. The invoice becomes visible only after
//!   `payment_lag` — Stripe's webhook reaching Autumn after the redirect.
//! - `POST /__mock/pro {customer_id, active}` switches a Pro subscription;
//!   `POST /__mock/outage {on}` makes every `/v1` call a 503.
//! - Odd data, as a real account can hold it: `POST /__mock/invoice
//!   {customer_id, invoice}` adds any invoice JSON as is (a null or empty
//!   `stripe_id`, a zero `quantity`, an unknown product);
//!   `POST /__mock/pro_period_end {customer_id, current_period_end}` sets
//!   any value as the Pro period end; `POST /__mock/answer_as {id}` makes
//!   every customer answer carry that id (`null` to stop).
//! - Webhooks, signed as Svix signs them ([`crate::webhooks`]):
//!   [`AutumnServer::send_webhooks_to`] makes every paid checkout deliver
//!   `customer.products.updated` to an endpoint once its invoice is
//!   visible; [`AutumnServer::deliver_webhook`] sends any event now.
//!
//! Errors use Autumn's body `{message, code, env}` — also for unknown routes
//! and malformed bodies, which `autumn-js` parses as JSON whatever the status.
//! Auth and version are checked before the body, as Autumn's middleware does.

use crate::webhooks::{self, SignedWebhook};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The API version the mock speaks (and requires).
pub const API_VERSION: &str = "1.2";

/// The products Banter sells: id, name, price in cents, credits (0 = Pro).
pub const PRODUCTS: [(&str, &str, i64, i64); 4] = [
    ("credits_500", "500 credits", 500, 500),
    ("credits_1000", "1,000 credits", 900, 1000),
    ("credits_5000", "5,000 credits", 4000, 5000),
    ("pro", "Pro", 2000, 0),
];

#[derive(Debug, Clone)]
pub struct AutumnConfig {
    /// The secret key the mock accepts (`Authorization: Bearer …`).
    pub secret_key: String,
    /// How long after paying the invoice shows up in the customer.
    pub payment_lag: Duration,
}

impl Default for AutumnConfig {
    fn default() -> Self {
        Self {
            secret_key: "am_sk_test_mock".into(),
            payment_lag: Duration::ZERO,
        }
    }
}

#[derive(Debug, Default)]
struct Store {
    customers: HashMap<String, Value>,
    checkouts: HashMap<String, Checkout>,
    next_id: u64,
}

#[derive(Debug, Clone)]
struct Checkout {
    customer_id: String,
    product_id: String,
    success_url: Option<String>,
    paid: bool,
}

#[derive(Debug)]
struct Shared {
    config: AutumnConfig,
    store: Mutex<Store>,
    outage: AtomicBool,
    /// When set, every customer answer carries this id instead of its own.
    answer_as: Mutex<Option<String>>,
    /// When set, every `/v1` call answers `307` to this URL (plus the path).
    redirect_to: Mutex<Option<String>>,
    /// How many `/v1` calls arrived, redirected or not.
    api_calls: std::sync::atomic::AtomicU64,
    base_url: String,
    /// Where paid checkouts are announced, and with which secret.
    webhook_target: Mutex<Option<WebhookTarget>>,
    /// Every webhook sent, in order.
    deliveries: Mutex<Vec<Delivery>>,
    next_message: std::sync::atomic::AtomicU64,
}

#[derive(Debug, Clone)]
struct WebhookTarget {
    url: String,
    secret: String,
}

/// One webhook the mock sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    pub webhook: SignedWebhook,
    /// The endpoint's HTTP status; `None` when it could not be reached.
    pub status: Option<u16>,
}

type AppState = Arc<Shared>;

/// A running mock Autumn; shuts down when dropped.
#[derive(Debug)]
pub struct AutumnServer {
    addr: SocketAddr,
    shared: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl AutumnServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes every `/v1` call answer 503 (or stops doing so).
    pub fn set_outage(&self, on: bool) {
        self.shared.outage.store(on, Ordering::SeqCst);
    }

    /// Starts or ends a Pro subscription for a customer.
    pub fn set_pro(&self, customer_id: &str, active: bool) {
        set_pro(&self.shared, customer_id, active);
    }

    /// Adds `invoice` to the customer's invoices exactly as given.
    pub fn add_invoice(&self, customer_id: &str, invoice: Value) {
        add_invoice(&self.shared, customer_id, invoice);
    }

    /// Sets the active Pro subscription's `current_period_end` to any value.
    pub fn set_pro_period_end(&self, customer_id: &str, end: Value) {
        set_pro_period_end(&self.shared, customer_id, end);
    }

    /// Makes every `/v1` call answer `307 Temporary Redirect` to `base`
    /// with the same path (`None`: answer normally again), for tests that
    /// a client does not follow it.
    pub fn redirect_to(&self, base: Option<&str>) {
        *self
            .shared
            .redirect_to
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = base.map(str::to_owned);
    }

    /// How many `/v1` calls the mock has received.
    pub fn api_calls(&self) -> u64 {
        self.shared.api_calls.load(Ordering::SeqCst)
    }

    /// From now on, each paid checkout delivers a signed
    /// `customer.products.updated` to `url` once its invoice is visible
    /// (as Autumn does after Stripe's webhook reaches it).
    /// A secret that is not `whsec_<base64>` is refused at once.
    pub fn send_webhooks_to(&self, url: &str, secret: &str) -> anyhow::Result<()> {
        webhooks::sign(secret, "msg_check", 0, b"")?;
        *self
            .shared
            .webhook_target
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(WebhookTarget {
            url: url.to_string(),
            secret: secret.to_string(),
        });
        Ok(())
    }

    /// Signs `event` with `secret` now, under a new message id, and POSTs
    /// it to `url` (loopback only); the delivery is recorded too.
    pub async fn deliver_webhook(
        &self,
        url: &str,
        secret: &str,
        event: &Value,
    ) -> anyhow::Result<Delivery> {
        deliver(&self.shared, url, secret, event).await
    }

    /// Every webhook this mock has sent, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared
            .deliveries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The customer as a webhook shows it (API 1.2, without invoices).
    pub fn customer_json(&self, customer_id: &str) -> Option<Value> {
        customer_json(&self.shared, customer_id)
    }

    /// Makes every customer answer carry `id` (`None`: its own id again).
    pub fn answer_as(&self, id: Option<&str>) {
        *self
            .shared
            .answer_as
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = id.map(str::to_owned);
    }
}

/// A paid invoice as Autumn 1.2 lists it, with `stripe_id` as given (any
/// JSON, e.g. `null`) — for tests that add odd invoices.
pub fn paid_invoice(stripe_id: Value, product_ids: &[&str]) -> Value {
    json!({
        "product_ids": product_ids,
        "stripe_id": stripe_id,
        "status": "paid",
        "total": 5.0,
        "currency": "usd",
        "created_at": now_ms(),
        "hosted_invoice_url": null,
    })
}

impl Drop for AutumnServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the mock on `addr` (loopback only; port 0 picks a free one).
pub async fn start_autumn(config: AutumnConfig, addr: SocketAddr) -> std::io::Result<AutumnServer> {
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::other(
            "the mock listens on loopback addresses only",
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        config,
        store: Mutex::default(),
        outage: AtomicBool::new(false),
        answer_as: Mutex::default(),
        redirect_to: Mutex::default(),
        api_calls: std::sync::atomic::AtomicU64::new(0),
        base_url: format!("http://{addr}"),
        webhook_target: Mutex::default(),
        deliveries: Mutex::default(),
        next_message: std::sync::atomic::AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/v1/customers", post(get_or_create))
        .route("/v1/customers/{id}", get(get_customer))
        .route("/v1/checkout", post(checkout))
        .route("/v1/check", post(check))
        .route("/v1/entitled", post(check))
        .route("/pay/{id}", get(pay_page).post(pay))
        .route("/__mock/pro", post(mock_pro))
        .route("/__mock/outage", post(mock_outage))
        .route("/__mock/invoice", post(mock_invoice))
        .route("/__mock/pro_period_end", post(mock_pro_period_end))
        .route("/__mock/answer_as", post(mock_answer_as))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            redirect_layer,
        ))
        .with_state(shared.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(error) = server.await {
            tracing::warn!(%error, "mock Autumn stopped");
        }
    });
    Ok(AutumnServer {
        addr,
        shared,
        shutdown: Some(tx),
    })
}

/// Answers `/v1` calls with a 307 while [`AutumnServer::redirect_to`] is set.
async fn redirect_layer(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let target = state
        .redirect_to
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match target {
        Some(base) if request.uri().path().starts_with("/v1/") => {
            state.api_calls.fetch_add(1, Ordering::SeqCst);
            let path = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            Redirect::temporary(&format!("{base}{path}")).into_response()
        }
        _ => next.run(request).await,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "code": code, "env": "sandbox"})),
    )
        .into_response()
}

/// Autumn answers unknown routes with its JSON error body too.
async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "Route not found")
}

/// A JSON request body, or Autumn's 400 `invalid_inputs` error.
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "invalid_inputs",
            &format!("Invalid request body: {e}"),
        ))
    })
}

/// Auth, version and outage checks shared by every `/v1` route: the error
/// response, or `None` to go on.
fn gate(state: &Shared, headers: &HeaderMap) -> Option<Response> {
    state.api_calls.fetch_add(1, Ordering::SeqCst);
    if state.outage.load(Ordering::SeqCst) {
        let mut response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service temporarily unavailable",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Some(response);
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth.and_then(|a| a.strip_prefix("Bearer ")) {
        None => {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                "no_secret_key",
                "Secret key not found",
            ))
        }
        Some(key) if key != state.config.secret_key => {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                "invalid_secret_key",
                "Invalid secret key",
            ))
        }
        Some(_) => {}
    }
    match headers.get("x-api-version").and_then(|v| v.to_str().ok()) {
        Some(API_VERSION) => None,
        _ => Some(error(
            StatusCode::BAD_REQUEST,
            "invalid_api_version",
            "this mock speaks x-api-version 1.2 only",
        )),
    }
}

fn new_customer(id: &str, name: Option<&str>, email: Option<&str>) -> Value {
    json!({
        "id": id, "created_at": now_ms(), "name": name, "email": email,
        "fingerprint": null, "stripe_id": format!("cus_mock_{id}"), "env": "sandbox",
        "metadata": {}, "products": [], "features": {}, "invoices": []
    })
}

/// The customer as Autumn shows it: invoices only with `expand=invoices`.
fn render(state: &Shared, customer: &Value, expand_invoices: bool) -> Value {
    let mut out = customer.clone();
    if let Some(id) = state
        .answer_as
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
    {
        out["id"] = json!(id);
    }
    if !expand_invoices {
        if let Some(map) = out.as_object_mut() {
            map.remove("invoices");
        }
    }
    out
}

#[derive(Deserialize)]
struct CreateCustomer {
    id: String,
    name: Option<String>,
    email: Option<String>,
}

async fn get_or_create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(response) = gate(&state, &headers) {
        return response;
    }
    let body: CreateCustomer = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    let customer = store
        .customers
        .entry(body.id.clone())
        .or_insert_with(|| new_customer(&body.id, body.name.as_deref(), body.email.as_deref()));
    Json(render(&state, customer, false)).into_response()
}

#[derive(Deserialize)]
struct Expand {
    expand: Option<String>,
}

async fn get_customer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<Expand>,
) -> Response {
    if let Some(response) = gate(&state, &headers) {
        return response;
    }
    let store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    match store.customers.get(&id) {
        Some(customer) => {
            let invoices = query
                .expand
                .is_some_and(|e| e.split(',').any(|x| x.trim() == "invoices"));
            Json(render(&state, customer, invoices)).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            "customer_not_found",
            "Customer not found",
        ),
    }
}

#[derive(Deserialize)]
struct CheckoutBody {
    customer_id: String,
    product_id: Option<String>,
    success_url: Option<String>,
}

async fn checkout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(response) = gate(&state, &headers) {
        return response;
    }
    let body: CheckoutBody = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Some(product_id) = body.product_id else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "product_id is required",
        );
    };
    let Some(&(_, name, price, _)) = PRODUCTS.iter().find(|p| p.0 == product_id) else {
        return error(
            StatusCode::NOT_FOUND,
            "product_not_found",
            "Product not found",
        );
    };
    let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    if !store.customers.contains_key(&body.customer_id) {
        return error(
            StatusCode::NOT_FOUND,
            "customer_not_found",
            "Customer not found",
        );
    }
    store.next_id += 1;
    let id = format!("co_mock_{}", store.next_id);
    store.checkouts.insert(
        id.clone(),
        Checkout {
            customer_id: body.customer_id.clone(),
            product_id: product_id.clone(),
            success_url: body.success_url,
            paid: false,
        },
    );
    Json(json!({
        "url": format!("{}/pay/{id}", state.base_url),
        "customer_id": body.customer_id,
        "product": {"id": product_id, "name": name},
        "total": price as f64 / 100.0,
        "currency": "usd",
    }))
    .into_response()
}

#[derive(Deserialize)]
struct CheckBody {
    customer_id: String,
    product_id: Option<String>,
    feature_id: Option<String>,
}

/// `POST /v1/check`: may this customer use a product or a feature?
async fn check(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(response) = gate(&state, &headers) {
        return response;
    }
    let body: CheckBody = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(customer) = store.customers.get(&body.customer_id) else {
        return error(
            StatusCode::NOT_FOUND,
            "customer_not_found",
            "Customer not found",
        );
    };
    let product_status = |id: &str| {
        customer["products"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == id))
            .and_then(|p| p["status"].as_str())
            .map(str::to_owned)
    };
    match (body.product_id, body.feature_id) {
        (Some(product_id), None) => {
            if !PRODUCTS.iter().any(|p| p.0 == product_id) {
                return error(
                    StatusCode::NOT_FOUND,
                    "product_not_found",
                    "Product not found",
                );
            }
            let status = product_status(&product_id);
            let mut out = json!({
                "allowed": status.as_deref() == Some("active"),
                "customer_id": body.customer_id,
                "product_id": product_id,
            });
            if let Some(status) = status {
                out["status"] = json!(status);
            }
            Json(out).into_response()
        }
        (None, Some(feature_id)) => {
            if feature_id != "credits" {
                return error(
                    StatusCode::NOT_FOUND,
                    "feature_not_found",
                    "Feature not found",
                );
            }
            // The mock keeps no credit balance (Banter's ledger does): only
            // Pro's unlimited credits make the feature allowed.
            let unlimited = product_status("pro").as_deref() == Some("active");
            Json(json!({
                "allowed": unlimited,
                "customer_id": body.customer_id,
                "feature_id": feature_id,
                "required_balance": 1,
                "unlimited": unlimited,
                "balance": if unlimited { Value::Null } else { json!(0) },
                "usage": 0,
                "included_usage": 0,
                "interval": null,
                "next_reset_at": null,
                "overage_allowed": false,
                "usage_limit": null,
            }))
            .into_response()
        }
        _ => error(
            StatusCode::BAD_REQUEST,
            "invalid_inputs",
            "Exactly one of product_id and feature_id is required",
        ),
    }
}

async fn pay_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(checkout) = store.checkouts.get(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            "checkout_not_found",
            "Checkout not found",
        );
    };
    let (name, price) = PRODUCTS
        .iter()
        .find(|p| p.0 == checkout.product_id)
        .map_or(("?", 0), |p| (p.1, p.2));
    Html(format!(
        "<!doctype html><title>Mock checkout</title><h1>Pay ${}.{:02} for {name}</h1>\
         <form method=post><button id=pay>Pay</button></form>",
        price / 100,
        price % 100
    ))
    .into_response()
}

/// Paying: the browser is sent back at once; the invoice appears after the lag.
async fn pay(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let checkout = {
        let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(checkout) = store.checkouts.get_mut(&id) else {
            return error(
                StatusCode::NOT_FOUND,
                "checkout_not_found",
                "Checkout not found",
            );
        };
        if checkout.paid {
            return error(
                StatusCode::CONFLICT,
                "already_paid",
                "This checkout was paid",
            );
        }
        checkout.paid = true;
        checkout.clone()
    };
    let lag = state.config.payment_lag;
    let shared = state.clone();
    let invoice_id = format!("in_mock_{id}");
    let success_url = checkout.success_url.clone();
    tokio::spawn(async move {
        tokio::time::sleep(lag).await;
        record_payment(&shared, &checkout, &invoice_id);
        announce_payment(&shared, &checkout).await;
    });
    match success_url {
        Some(url) => Redirect::to(&url).into_response(),
        None => Html("<!doctype html><p>Paid. You can return to Banter.</p>").into_response(),
    }
}

fn record_payment(state: &Shared, checkout: &Checkout, invoice_id: &str) {
    let price = PRODUCTS
        .iter()
        .find(|p| p.0 == checkout.product_id)
        .map_or(0, |p| p.2);
    if checkout.product_id == "pro" {
        set_pro(state, &checkout.customer_id, true);
    }
    let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(invoices) = store
        .customers
        .get_mut(&checkout.customer_id)
        .and_then(|c| c["invoices"].as_array_mut())
    {
        invoices.push(json!({
            "product_ids": [checkout.product_id],
            "stripe_id": invoice_id,
            "status": "paid",
            "total": price as f64 / 100.0,
            "currency": "usd",
            "created_at": now_ms(),
            "hosted_invoice_url": null,
        }));
    }
}

/// Sends `customer.products.updated` for a paid checkout, if webhooks are on.
async fn announce_payment(state: &Shared, checkout: &Checkout) {
    let target = state
        .webhook_target
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let Some(target) = target else {
        return;
    };
    let Some(customer) = customer_json(state, &checkout.customer_id) else {
        return;
    };
    let event = webhooks::products_updated(customer, "new", &checkout.product_id);
    if let Err(error) = deliver(state, &target.url, &target.secret, &event).await {
        tracing::warn!(%error, "mock Autumn could not sign a webhook");
    }
}

fn customer_json(state: &Shared, customer_id: &str) -> Option<Value> {
    let store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    let customer = store.customers.get(customer_id)?;
    Some(render(state, customer, false))
}

/// Signs `event` now under the next message id and POSTs it to `url`;
/// records the delivery (an unreachable endpoint is recorded without a
/// status, as Svix would retry it later).
async fn deliver(
    state: &Shared,
    url: &str,
    secret: &str,
    event: &Value,
) -> anyhow::Result<Delivery> {
    let n = state.next_message.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("msg_mock_{n}");
    let webhook = SignedWebhook::sign(secret, &id, webhooks::now_seconds(), event)?;
    let status = match webhook.deliver(url).await {
        Ok(status) => Some(status),
        Err(error) => {
            tracing::warn!(%error, "mock Autumn could not deliver a webhook");
            None
        }
    };
    let delivery = Delivery {
        url: url.to_string(),
        webhook,
        status,
    };
    state
        .deliveries
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(delivery.clone());
    Ok(delivery)
}

/// Pro's `credits` feature as a 1.2 customer shows it: unlimited.
fn unlimited_credits() -> Value {
    json!({
        "id": "credits", "name": "Credits", "type": "single_use", "unlimited": true,
        "interval": null, "balance": null, "usage": 0, "included_usage": 0,
        "next_reset_at": null, "overage_allowed": false, "usage_limit": null,
        "breakdown": []
    })
}

fn set_pro(state: &Shared, customer_id: &str, active: bool) {
    let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(customer) = store.customers.get_mut(customer_id) else {
        return;
    };
    if let Some(features) = customer["features"].as_object_mut() {
        if active {
            features.insert("credits".into(), unlimited_credits());
        } else {
            features.remove("credits");
        }
    }
    let Some(products) = customer["products"].as_array_mut() else {
        return;
    };
    products.retain(|p| p["id"] != "pro");
    if active {
        let start = now_ms();
        products.push(json!({
            "id": "pro", "name": "Pro", "group": null, "status": "active",
            "started_at": start, "canceled_at": null, "version": 1,
            "subscription_ids": ["sub_mock_pro"],
            "current_period_start": start,
            "current_period_end": start + 30 * 24 * 3600 * 1000,
            "trial_ends_at": null, "is_add_on": false, "is_default": false, "items": []
        }));
    }
}

#[derive(Deserialize)]
struct ProSwitch {
    customer_id: String,
    active: bool,
}

async fn mock_pro(State(state): State<AppState>, Json(body): Json<ProSwitch>) -> StatusCode {
    set_pro(&state, &body.customer_id, body.active);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct OutageSwitch {
    on: bool,
}

async fn mock_outage(State(state): State<AppState>, Json(body): Json<OutageSwitch>) -> StatusCode {
    state.outage.store(body.on, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

fn add_invoice(state: &Shared, customer_id: &str, invoice: Value) {
    let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(invoices) = store
        .customers
        .get_mut(customer_id)
        .and_then(|c| c["invoices"].as_array_mut())
    {
        invoices.push(invoice);
    }
}

fn set_pro_period_end(state: &Shared, customer_id: &str, end: Value) {
    let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
    let pro = store
        .customers
        .get_mut(customer_id)
        .and_then(|c| c["products"].as_array_mut())
        .and_then(|ps| ps.iter_mut().find(|p| p["id"] == "pro"));
    if let Some(pro) = pro {
        pro["current_period_end"] = end;
    }
}

#[derive(Deserialize)]
struct InvoiceBody {
    customer_id: String,
    invoice: Value,
}

async fn mock_invoice(State(state): State<AppState>, Json(body): Json<InvoiceBody>) -> StatusCode {
    add_invoice(&state, &body.customer_id, body.invoice);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct PeriodEndBody {
    customer_id: String,
    current_period_end: Value,
}

async fn mock_pro_period_end(
    State(state): State<AppState>,
    Json(body): Json<PeriodEndBody>,
) -> StatusCode {
    set_pro_period_end(&state, &body.customer_id, body.current_period_end);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct AnswerAsBody {
    id: Option<String>,
}

async fn mock_answer_as(
    State(state): State<AppState>,
    Json(body): Json<AnswerAsBody>,
) -> StatusCode {
    *state
        .answer_as
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = body.id;
    StatusCode::NO_CONTENT
}
