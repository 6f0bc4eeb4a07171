//! The mock's bytes, checked directly against Azure's documented shapes
//! (api-facts A3/A4): the stream's event order and fields, usage only when
//! asked, error bodies and headers, and a request log that never holds a key.

use banter_mocks::{start, MockConfig, MockServer};
use serde_json::{json, Value};

const VERSION: &str = "api-version=2025-04-01-preview";

async fn post(mock: &MockServer, deployment: &str, key: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!(
            "{}/openai/deployments/{deployment}/chat/completions?{VERSION}",
            mock.base_url()
        ))
        .header("api-key", key)
        .json(&body)
        .send()
        .await
        .expect("request")
}

fn request(stream: bool, include_usage: bool) -> Value {
    let mut body = json!({"messages": [{"role": "user", "content": "hello"}], "stream": stream});
    if include_usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

/// The `data:` payloads of an SSE body, in order.
fn events(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|e| {
            e.lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(str::to_string)
        })
        .collect()
}

#[tokio::test]
async fn a_stream_follows_azures_event_order() {
    let mock = start(MockConfig::default()).await.unwrap();
    let response = post(&mock, "o3-mini", "test-key", request(true, true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = events(&response.text().await.unwrap());
    let parsed: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();

    let first = &parsed[0];
    assert_eq!(first["choices"], json!([]));
    assert_eq!(first["id"], "");
    assert_eq!(first["created"], 0);
    assert!(first["prompt_filter_results"][0]["content_filter_results"].is_object());
    assert!(first["usage"].is_null() && first.get("usage").is_some());

    assert_eq!(parsed[1]["choices"][0]["delta"]["role"], "assistant");
    let text: String = parsed
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Mock reply to: hello");

    let n = parsed.len();
    assert_eq!(parsed[n - 3]["choices"][0]["finish_reason"], "stop");
    assert_eq!(parsed[n - 3]["choices"][0]["delta"], json!({}));
    // An asynchronous-filter annotation after the stop: no delta, empty id.
    assert!(parsed[n - 2]["choices"][0].get("delta").is_none());
    assert_eq!(parsed[n - 2]["id"], "");
    // The usage chunk: empty choices, reasoning tokens for an o-series model.
    assert_eq!(parsed[n - 1]["choices"], json!([]));
    assert_eq!(
        parsed[n - 1]["usage"]["completion_tokens_details"]["reasoning_tokens"],
        16
    );
    assert_eq!(events.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn usage_comes_only_when_asked() {
    let mock = start(MockConfig::default()).await.unwrap();
    let text = post(&mock, "o3-mini", "test-key", request(true, false))
        .await
        .text()
        .await
        .unwrap();
    assert!(!text.contains("\"usage\""), "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn errors_have_azures_bodies_and_headers() {
    let mock = start(MockConfig::default()).await.unwrap();
    let r = post(&mock, "o3-mini", "wrong", request(false, false)).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "401");

    let r = post(
        &mock,
        "o3-mini-rate-limited-once",
        "test-key",
        request(false, false),
    )
    .await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after-ms"], "150");
    assert_eq!(r.headers()["retry-after"], "1");
    let r = post(
        &mock,
        "o3-mini-rate-limited-once",
        "test-key",
        request(false, false),
    )
    .await;
    assert_eq!(r.status(), 200);

    let r = post(
        &mock,
        "o3-mini-not-found",
        "test-key",
        request(false, false),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "DeploymentNotFound"
    );

    let r = post(
        &mock,
        "o3-mini-prompt-filter",
        "test-key",
        request(false, false),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "content_filter");
    assert_eq!(
        body["error"]["innererror"]["code"],
        "ResponsibleAIPolicyViolation"
    );
    assert!(body["error"]["innererror"]["content_filter_result"].is_object());

    let mut with_max_tokens = request(false, false);
    with_max_tokens["max_tokens"] = json!(10);
    let r = post(&mock, "o3-mini", "test-key", with_max_tokens.clone()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unsupported_parameter"
    );
    assert_eq!(
        post(&mock, "gpt-4o", "test-key", with_max_tokens)
            .await
            .status(),
        200
    );

    let no_version = reqwest::Client::new()
        .post(format!(
            "{}/openai/deployments/o3-mini/chat/completions",
            mock.base_url()
        ))
        .header("api-key", "test-key")
        .json(&request(false, false))
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 404);
}

#[tokio::test]
async fn a_cut_stream_breaks_without_done() {
    let mock = start(MockConfig::default()).await.unwrap();
    let r = post(&mock, "o3-mini-cut", "test-key", request(true, true)).await;
    let mut body = r.bytes_stream();
    let mut seen = Vec::new();
    let mut broke = false;
    while let Some(piece) = futures_util::StreamExt::next(&mut body).await {
        match piece {
            Ok(bytes) => seen.extend_from_slice(&bytes),
            Err(_) => {
                broke = true;
                break;
            }
        }
    }
    assert!(broke, "the body ends in a transport error");
    let text = String::from_utf8_lossy(&seen);
    assert!(text.contains("Mock") && !text.contains("[DONE]"), "{text}");
}

#[tokio::test]
async fn the_request_log_never_holds_the_key() {
    let mock = start(MockConfig {
        api_key: "sk-very-secret-key".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    post(
        &mock,
        "o3-mini",
        "sk-very-secret-key",
        request(false, false),
    )
    .await;
    post(&mock, "o3-mini", "wrong-key", request(false, false)).await;
    let log = mock.requests();
    assert_eq!(
        log.iter().map(|r| r.auth_ok).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(log[0].body["messages"][0]["content"], "hello");
    let served = reqwest::get(format!("{}/__mock/requests", mock.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !served.contains("sk-very-secret-key")
            && !format!("{log:?}").contains("sk-very-secret-key")
    );
}
