//! The mock Azure OpenAI chat-completions server (also answering the
//! OpenAI `/v1` and OpenAI-compatible paths).
//!
//! The deployment name picks a behaviour (see [`Scenario`]); replies are
//! deterministic (`Mock reply to: <your message>`, with a note per attached
//! image, see [`crate::content`]), and every request is
//! logged — without its key — at `GET /__mock/requests` and through
//! [`MockServer::requests`]. Requests with a `response_format` (or a
//! `[[project…]]` directive) get a project plan as JSON instead; see
//! [`crate::project`] for the scripted variants.

use crate::scenario::{is_reasoning, sees_images, Scenario};
use crate::stream::{self, Step, Wire};
use crate::{content, errors, project, reply};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The only key it accepts.
    pub api_key: String,
    /// Pause between words in the `slow` scenario.
    pub slow_ms: u64,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            api_key: "test-key".into(),
            slow_ms: 200,
        }
    }
}

/// A request as the mock saw it. The key is never kept, only whether it matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub deployment: String,
    pub body: Value,
    pub auth_ok: bool,
    /// Which credential headers (`api-key`, `authorization`) came, by name
    /// only: tests check where a key went without the mock keeping it.
    #[serde(default)]
    pub credential_headers: Vec<String>,
}

#[derive(Debug, Default)]
struct Shared {
    log: Mutex<Vec<RecordedRequest>>,
    hits: Mutex<HashMap<String, u32>>,
    /// When set, every chat request is answered `307` to this base URL.
    redirect_to: Mutex<Option<String>>,
}

#[derive(Debug, Clone)]
struct AppState {
    config: Arc<MockConfig>,
    shared: Arc<Shared>,
}

/// A running mock; shuts down when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl MockServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every chat request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes every chat request answer `307 Temporary Redirect` to `base`
    /// with the same path and query (`None`: answer normally again). The
    /// request is still logged here first.
    pub fn redirect_to(&self, base: Option<&str>) {
        *self
            .shared
            .redirect_to
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = base.map(str::to_owned);
    }

    pub fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the mock on a free port of 127.0.0.1, on the current runtime.
pub async fn start(config: MockConfig) -> std::io::Result<MockServer> {
    start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts the mock on `addr`, which must be a loopback address.
pub async fn start_on(config: MockConfig, addr: SocketAddr) -> std::io::Result<MockServer> {
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::other(
            "the mock listens on loopback addresses only",
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::default());
    let app = router(AppState {
        config: Arc::new(config),
        shared: shared.clone(),
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // Each event is its own small write; like a real server, send each at
    // once (Nagle's algorithm would hold it for the client's delayed ACK).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(error) = server.await {
            tracing::warn!(%error, "mock server stopped");
        }
    });
    Ok(MockServer {
        addr,
        shared,
        shutdown: Some(tx),
    })
}

fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(classic),
        )
        .route("/openai/v1/chat/completions", post(v1))
        .route("/v1/chat/completions", post(compatible))
        .route(
            "/__mock/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/__mock/health", get(|| async { "ok" }))
        .with_state(state)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `/openai/deployments/{d}/chat/completions?api-version=…`, key in `api-key`.
async fn classic(
    State(state): State<AppState>,
    Path(deployment): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth_ok = header(&headers, "api-key") == Some(state.config.api_key.as_str());
    let path = format!("/openai/deployments/{deployment}/chat/completions");
    let has_version = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p.starts_with("api-version=") && p.len() > 12)
    });
    if !has_version {
        return errors::resource_not_found();
    }
    complete(&state, (path, query), &headers, deployment, auth_ok, body).await
}

/// `/openai/v1/chat/completions`: deployment in the body's `model`; key in
/// `api-key` or as a bearer token.
async fn v1(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = format!("Bearer {}", state.config.api_key);
    let auth_ok = header(&headers, "api-key") == Some(state.config.api_key.as_str())
        || header(&headers, "authorization") == Some(bearer.as_str());
    let deployment = model_of(&body);
    complete(
        &state,
        ("/openai/v1/chat/completions".into(), query),
        &headers,
        deployment,
        auth_ok,
        body,
    )
    .await
}

/// `/v1/chat/completions` as local servers serve it; a key is optional but
/// must match when given.
async fn compatible(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = format!("Bearer {}", state.config.api_key);
    let auth_ok = header(&headers, "authorization").is_none_or(|h| h == bearer);
    let deployment = model_of(&body);
    complete(
        &state,
        ("/v1/chat/completions".into(), query),
        &headers,
        deployment,
        auth_ok,
        body,
    )
    .await
}

fn model_of(body: &Bytes) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["model"].as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn list_requests(State(state): State<AppState>) -> Json<Vec<RecordedRequest>> {
    Json(
        state
            .shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    )
}

async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state
        .shared
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    StatusCode::NO_CONTENT
}

/// Checks, logs and answers one chat request.
async fn complete(
    state: &AppState,
    (path, query): (String, Option<String>),
    headers: &HeaderMap,
    deployment: String,
    auth_ok: bool,
    raw: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let credential_headers = ["api-key", "authorization"]
        .into_iter()
        .filter(|name| headers.contains_key(*name))
        .map(str::to_string)
        .collect();
    let redirect = state
        .shared
        .redirect_to
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .map(|base| match &query {
            Some(q) => format!("{base}{path}?{q}"),
            None => format!("{base}{path}"),
        });
    state
        .shared
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(RecordedRequest {
            method: "POST".into(),
            path,
            query,
            deployment: deployment.clone(),
            body: body.clone(),
            auth_ok,
            credential_headers,
        });
    if let Some(location) = redirect {
        return axum::response::Redirect::temporary(&location).into_response();
    }
    if !auth_ok {
        return errors::unauthorized();
    }
    if let Some(problem) = invalid(&body, &deployment) {
        return problem;
    }
    let scenario = Scenario::of(&deployment);
    let hit = {
        let mut hits = state
            .shared
            .hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = hits.entry(deployment.clone()).or_default();
        *n += 1;
        *n
    };
    let streaming = body["stream"].as_bool().unwrap_or(false);
    match scenario {
        Scenario::NotFound => return errors::deployment_not_found(),
        Scenario::PromptFilter => return errors::prompt_filtered(),
        Scenario::RateLimited => return errors::rate_limited(),
        Scenario::RateLimitedOnce if hit == 1 => return errors::rate_limited(),
        Scenario::NoStream if streaming => {
            return errors::invalid_request(
                "stream",
                "unsupported_value",
                "Unsupported value: 'stream' does not support true with this model. Supported values are: false.",
            )
        }
        _ => {}
    }
    let generation = project::is_generation(&body);
    if let Some((param, message)) = project::invalid_response_format(&body) {
        return errors::invalid_request(param, "invalid_value", &message);
    }
    if scenario == Scenario::NoSchema && body["response_format"]["type"] == "json_schema" {
        return errors::invalid_request(
            "response_format",
            "BadRequest",
            "response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later",
        );
    }
    let reasoning = is_reasoning(&deployment);
    let filler = if scenario == Scenario::Slow { 200 } else { 0 };
    let (chunks, finish) = if generation {
        let answer = project::answer(&body);
        (project::pieces(&answer.text, 24), answer.finish_reason)
    } else if scenario == Scenario::Hostile {
        (reply::hostile_chunks(), "stop")
    } else {
        (reply::reply_chunks(&body, filler), "stop")
    };
    if !streaming {
        return whole_reply(&body, &chunks, reasoning, finish);
    }
    let include_usage = body["stream_options"]["include_usage"]
        .as_bool()
        .unwrap_or(false);
    let (steps, wire) = script(
        scenario,
        &body,
        (&chunks, finish),
        include_usage,
        reasoning,
        state.config.slow_ms,
    );
    (
        [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
        ],
        stream::body(steps, wire),
    )
        .into_response()
}

/// What real Azure refuses: malformed messages, on reasoning deployments
/// the sampling parameters and `max_tokens`, and elsewhere `reasoning_effort`.
fn invalid(body: &Value, deployment: &str) -> Option<Response> {
    let messages = body["messages"].as_array();
    let ok = messages.is_some_and(|m| {
        !m.is_empty()
            && m.iter().all(|m| {
                m["role"].is_string()
                    && (m["content"].is_string()
                        || (m["role"] == "user" && m["content"].is_array()))
            })
    });
    if !ok {
        return Some(errors::invalid_request(
            "messages",
            "invalid_request_error",
            "'messages' must be a non-empty array of {role, content}.",
        ));
    }
    if let Some(problem) = messages
        .into_iter()
        .flatten()
        .find_map(|m| content::problem(&m["content"]))
    {
        return Some(errors::invalid_request(
            "messages",
            "invalid_value",
            &problem,
        ));
    }
    if content::has_images(body) && !sees_images(deployment) {
        return Some(errors::invalid_request(
            "messages",
            "invalid_value",
            "Invalid content type. image_url is only supported by certain models.",
        ));
    }
    if is_reasoning(deployment) {
        for param in [
            "max_tokens",
            "temperature",
            "top_p",
            "presence_penalty",
            "frequency_penalty",
            "logprobs",
        ] {
            if !body[param].is_null() {
                return Some(errors::unsupported_parameter(param));
            }
        }
        if let Some(effort) = body.get("reasoning_effort").filter(|v| !v.is_null()) {
            if !matches!(effort.as_str(), Some("low" | "medium" | "high")) {
                return Some(errors::invalid_request(
                    "reasoning_effort",
                    "invalid_value",
                    "Invalid value for 'reasoning_effort': expected low, medium or high.",
                ));
            }
        }
    } else if !body["reasoning_effort"].is_null() {
        // A chat deployment does not reason: the effort is refused.
        return Some(errors::unsupported_parameter("reasoning_effort"));
    }
    None
}

/// A non-streamed `chat.completion`.
fn whole_reply(body: &Value, chunks: &[String], reasoning: bool, finish: &str) -> Response {
    let text: String = chunks.concat();
    Json(json!({
        "id": "chatcmpl-mock", "object": "chat.completion", "created": 1_736_407_895,
        "model": "o1-2024-12-17", "system_fingerprint": "fp_mock",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        "choices": [{"index": 0, "finish_reason": finish, "logprobs": null,
                     "message": {"role": "assistant", "content": text, "refusal": null},
                     "content_filter_results": {}}],
        "usage": reply::usage(body, chunks.len(), reasoning)
    }))
    .into_response()
}

/// The steps of a streamed reply for `scenario`: `reply` is the text's
/// chunks and the finish reason.
fn script(
    scenario: Scenario,
    body: &Value,
    reply: (&[String], &str),
    include_usage: bool,
    reasoning: bool,
    slow_ms: u64,
) -> (Vec<Step>, Wire) {
    let (chunks, finish) = reply;
    let mut steps = vec![Step::Event(stream::first_event(include_usage))];
    if scenario == Scenario::KeepAlive {
        steps.push(Step::Comment("keep-alive"));
    }
    steps.push(Step::Event(stream::role_chunk(include_usage)));
    let sent = match scenario {
        Scenario::FilterMidStream | Scenario::Cut => chunks.len().min(3),
        _ => chunks.len(),
    };
    for text in &chunks[..sent] {
        if scenario == Scenario::Slow {
            steps.push(Step::Pause(Duration::from_millis(slow_ms)));
        }
        steps.push(Step::Event(stream::text_chunk(text, include_usage)));
        if scenario == Scenario::KeepAlive {
            steps.push(Step::Comment("keep-alive"));
        }
    }
    let shown: usize = chunks[..sent].iter().map(|c| c.chars().count()).sum();
    match scenario {
        Scenario::Cut => {
            steps.push(Step::Pause(Duration::from_millis(20)));
            steps.push(Step::Cut);
            return (steps, Wire::default());
        }
        Scenario::FilterMidStream => {
            // The late verdict: a filter annotation ends the reply.
            steps.push(Step::Event(stream::annotation_chunk(
                shown,
                Some("content_filter"),
            )));
            steps.push(Step::Done);
            return (steps, Wire::default());
        }
        _ => {}
    }
    steps.push(Step::Event(stream::finish_chunk(finish, include_usage)));
    steps.push(Step::Event(stream::annotation_chunk(shown, None)));
    if include_usage {
        steps.push(Step::Event(stream::usage_chunk(reply::usage(
            body,
            chunks.len(),
            reasoning,
        ))));
    }
    steps.push(Step::Done);
    let wire = match scenario {
        Scenario::KeepAlive => Wire {
            crlf: true,
            piece: 0,
        },
        Scenario::Utf8Split => Wire {
            crlf: false,
            piece: 3,
        },
        _ => Wire::default(),
    };
    (steps, wire)
}
