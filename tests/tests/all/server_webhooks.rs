//! Autumn's webhooks at banter-server (`POST /v1/webhooks/autumn`), over real
//! HTTP: the mock Autumn signs and delivers as Svix does. A paid checkout is
//! granted by the webhook alone (no app refresh), once — also when the same
//! delivery comes again to the other instance and when the invoice is
//! announced again; forged, stale and unsigned deliveries are refused and
//! grant nothing.

use banter_mocks::webhooks::{now_seconds, products_updated, SignedWebhook};
use banter_tests::hosted::{mock_autumn, pay_in_browser, Hosted, AUTUMN_KEY as KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const SECRET: &str = "whsec_dGhlLXdlYmhvb2stc2VjcmV0LW9mLXRoZS10ZXN0cw==";
const FORGED: &str = "whsec_bm90LXRoZS1lbmRwb2ludHMtc2VjcmV0";

/// Posts a signed delivery to `url` exactly as it was signed.
async fn post(h: &Hosted, url: &str, webhook: &SignedWebhook) -> (StatusCode, Value) {
    let mut req = h.http.post(url).body(webhook.body.clone());
    for (name, value) in webhook.headers() {
        req = req.header(name, value);
    }
    let resp = req.send().await.expect("server answers");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn balance(h: &Hosted, token: &str) -> i64 {
    let (_, b) = h
        .call(Method::GET, &h.b.url, "/v1/credits", Some(token), None)
        .await;
    b["remaining"].as_i64().expect("a balance")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_grants_a_paid_checkout_once_however_often_it_comes() {
    let shop = mock_autumn().await;
    // The verifier checks timestamps against the server's clock, and the
    // mock signs with the real time.
    let now = chrono::Utc::now().to_rfc3339();
    let h = Hosted::selling_with_webhooks(&now, &shop.base_url(), KEY, SECRET).await;
    let hook_a = format!("{}/v1/webhooks/autumn", h.a.url);
    let hook_b = format!("{}/v1/webhooks/autumn", h.b.url);
    shop.send_webhooks_to(&hook_a, SECRET).unwrap();
    let alice = h.sign_in("alice", "laptop").await;
    let token = alice.tokens.access_token.as_str();
    let (_, checkout) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/purchases/checkout",
            Some(token),
            Some(json!({"product": "credits_1000"})),
        )
        .await;
    pay_in_browser(checkout["url"].as_str().unwrap()).await;

    // The mock delivers once the invoice is visible; no refresh is asked.
    // The grant commits before the server answers the delivery, so wait for
    // the mock to have recorded the answer too.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while balance(&h, token).await != 1100 || shop.deliveries().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the webhook never granted the pack"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered = shop.deliveries();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].status, Some(200));

    // The same delivery again, to the other instance: acknowledged, nothing new.
    let (status, body) = post(&h, &hook_b, &delivered[0].webhook).await;
    assert_eq!((status, body), (StatusCode::OK, json!("duplicate")));
    // A new delivery announcing the same invoice: reconciled, granted nothing.
    let customer = shop.customer_json(&alice.user_id).unwrap();
    let again = SignedWebhook::sign(
        SECRET,
        "msg_again",
        now_seconds(),
        &products_updated(customer, "new", "credits_1000"),
    )
    .unwrap();
    let (status, body) = post(&h, &hook_b, &again).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"reconciled": {"fulfilled": 0}}))
    );
    assert_eq!(balance(&h, token).await, 1100);
    h.a.state.ledger.verify(&alice.user_id).await.unwrap();
}

#[tokio::test]
async fn forged_stale_and_unsigned_webhooks_are_refused() {
    let shop = mock_autumn().await;
    let now = chrono::Utc::now().to_rfc3339();
    let h = Hosted::selling_with_webhooks(&now, &shop.base_url(), KEY, SECRET).await;
    let alice = h.sign_in("alice", "laptop").await;
    let hook = format!("{}/v1/webhooks/autumn", h.a.url);
    let event = json!({"type": "billing.updated", "data": {"customer_id": alice.user_id}});
    let forged = SignedWebhook::sign(FORGED, "msg_forged", now_seconds(), &event).unwrap();
    let (status, body) = post(&h, &hook, &forged).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("webhook_bad_signature"))
    );
    let stale = SignedWebhook::sign(SECRET, "msg_stale", now_seconds() - 10 * 60, &event).unwrap();
    let (status, body) = post(&h, &hook, &stale).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("webhook_timestamp_out_of_range")
        )
    );
    let resp = h
        .http
        .post(&hook)
        .body(event.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // None of them was remembered: the genuine one is still handled.
    let genuine = SignedWebhook::sign(SECRET, "msg_forged", now_seconds(), &event).unwrap();
    let (status, body) = post(&h, &hook, &genuine).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"reconciled": {"fulfilled": 0}}))
    );
    assert_eq!(balance(&h, &alice.tokens.access_token).await, 100);
}
