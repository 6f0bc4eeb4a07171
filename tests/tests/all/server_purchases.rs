//! Purchases through banter-server, which alone holds the Autumn secret:
//! checkout → pay in the browser (mock Autumn over HTTP) → the app's refresh
//! after `banter://purchase/complete`. Refreshes racing on two instances
//! grant a paid invoice exactly once; one account never sees another's
//! checkouts; a server without an Autumn key says purchases are off.

use banter_core::ledger::EntryKind;
use banter_tests::hosted::{mock_autumn, pay_in_browser, Hosted, AUTUMN_KEY as KEY};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_invoice_is_granted_once_when_refreshes_race_on_two_instances() {
    let shop = mock_autumn().await;
    let h = Hosted::selling("2026-03-10T09:00:00Z", &shop.base_url(), KEY).await;
    let alice = h.sign_in("alice", "laptop").await;
    let bob = h.sign_in("bob", "desktop").await;
    let token = alice.tokens.access_token.as_str();

    let (status, checkout) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/purchases/checkout",
            Some(token),
            Some(json!({"product": "credits_500"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{checkout}");
    let reference = checkout["reference"].as_str().unwrap().to_string();
    let (_, pending) = h
        .call(
            Method::GET,
            &h.b.url,
            "/v1/purchases/pending",
            Some(token),
            None,
        )
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 1);
    // Bob sees none of Alice's checkouts.
    let (_, bobs) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/purchases/pending",
            Some(&bob.tokens.access_token),
            None,
        )
        .await;
    assert_eq!(bobs.as_array().unwrap().len(), 0, "{bobs}");

    let link = pay_in_browser(checkout["url"].as_str().unwrap()).await;
    assert_eq!(link, format!("banter://purchase/complete?ref={reference}"));
    let mut calls = Vec::new();
    for n in 0..8 {
        let base = if n % 2 == 0 {
            h.a.url.clone()
        } else {
            h.b.url.clone()
        };
        let http = h.http.clone();
        let token = token.to_string();
        calls.push(tokio::spawn(async move {
            let resp = http
                .post(format!("{base}/v1/purchases/refresh"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            resp.json::<serde_json::Value>().await.unwrap()
        }));
    }
    let mut granted = 0;
    for call in calls {
        granted += call.await.unwrap()["fulfilled"].as_array().unwrap().len();
    }
    assert_eq!(granted, 1);
    let (_, balance) = h
        .call(Method::GET, &h.b.url, "/v1/credits", Some(token), None)
        .await;
    assert_eq!(balance["remaining"], 600);
    let (_, bob_balance) = h
        .call(
            Method::GET,
            &h.b.url,
            "/v1/credits",
            Some(&bob.tokens.access_token),
            None,
        )
        .await;
    assert_eq!(bob_balance["remaining"], 100);
    let purchases: Vec<_> =
        h.a.state
            .ledger
            .history(&alice.user_id, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == EntryKind::Purchase)
            .collect();
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].purchased_delta, 500);
    h.a.state.ledger.verify(&alice.user_id).await.unwrap();
    let (_, pending) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/purchases/pending",
            Some(token),
            None,
        )
        .await;
    assert_eq!(
        pending.as_array().unwrap().len(),
        0,
        "the checkout was fulfilled"
    );
}

#[tokio::test]
async fn a_server_without_an_autumn_key_says_purchases_are_off() {
    let h = Hosted::start("2026-03-10T09:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let (status, body) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/purchases/checkout",
            Some(&alice.tokens.access_token),
            Some(json!({"product": "pro"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("billing_not_configured")
        )
    );
}
