//! The operator's named models in hosted mode: a device lists them
//! (`GET /v1/models`, names and abilities, never an endpoint or a key), sets
//! a chat to one (`PUT /v1/sessions/{id}/settings`), and the server answers
//! that chat with it, checked on the wire at two mock Azure servers with
//! different keys; another device's copy learns the chat's model from the
//! change feed; a name the operator has not configured is refused and
//! changes nothing.

use banter_core::chat::SessionSettings;
use banter_core::ids::RecordRef;
use banter_core::providers::{ChatProvider, OpenAiCompatConfig, ProviderConfig, Secret};
use banter_core::secrets::{SecretName, SecretStore};
use banter_core::{Core, ErrorCode};
use banter_mocks::azure::{MockConfig, MockServer};
use banter_tests::hosted::{history, oidc_signing_in_alice, send_in, sign_in_core, Hosted, Parts};
use banter_tests::Env;
use serde_json::json;
use std::sync::Arc;

async fn mock_with_key(key: &str) -> MockServer {
    banter_mocks::azure::start(MockConfig {
        api_key: key.to_string(),
        ..MockConfig::default()
    })
    .await
    .expect("mock Azure")
}

fn model_at(mock: &MockServer, deployment: &str, key: &str) -> Arc<dyn ChatProvider> {
    let config = banter_tests::mock_azure_config(&mock.base_url(), deployment, true);
    banter_core::providers::build(&config, Some(Secret::new(key))).expect("the mock model")
}

/// An OpenAI-compatible model on the mock (no key: a local server's).
fn compatible_at(mock: &MockServer, model: &str) -> Arc<dyn ChatProvider> {
    let config = ProviderConfig::OpenAiCompatible(OpenAiCompatConfig {
        base_url: format!("{}/openai/v1", mock.base_url()),
        model: model.to_string(),
        streams: true,
        vision: false,
    });
    banter_core::providers::build(&config, None).expect("the compatible model")
}

/// The laptop's access token, from its (test) keyring: what an older
/// client signed in on it would send.
fn access_token(env: &Env, core: &Core, server: &str) -> String {
    let slot = SecretName::HostedTokens {
        origin: server.trim_end_matches('/').to_string(),
        profile: core.user_id().to_string(),
    };
    let stored = env.secrets.get(slot).expect("keyring").expect("tokens");
    let tokens: serde_json::Value = serde_json::from_str(stored.expose()).expect("JSON");
    tokens["access_token"]
        .as_str()
        .or_else(|| tokens["accessToken"].as_str())
        .expect("an access token")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_chat_set_to_one_of_the_operators_models_is_answered_by_it_on_every_device() {
    let oidc = oidc_signing_in_alice().await;
    let east = mock_with_key("east-key").await;
    let west = mock_with_key("west-key").await;
    let parts = Parts {
        models: vec![
            ("Reasoner".into(), model_at(&east, "o3-mini", "east-key")),
            ("Writer".into(), model_at(&west, "gpt-4o", "west-key")),
            ("Local".into(), compatible_at(&west, "llama3.1")),
        ],
        ..Parts::default()
    };
    let h = Hosted::signing_in_through_with(&oidc, parts).await;
    let laptop_env = Env::new("2026-03-10T12:00:00Z");
    let laptop = laptop_env.open().await;
    sign_in_core(&laptop, &h.a.url).await;
    let desktop_env = Env::new("2026-03-10T12:00:00Z");
    let desktop = desktop_env.open().await;
    sign_in_core(&desktop, &h.b.url).await;
    let (on_laptop, on_desktop) = (history(&laptop).await, history(&desktop).await);

    // Listed by name with what each takes, the first the default; the
    // answer names no endpoint and no key.
    let listed = on_laptop.client().models().await.expect("the models");
    let shown: Vec<_> = listed
        .iter()
        .map(|m| (m.name.as_str(), m.is_default, m.reasons))
        .collect();
    assert_eq!(
        shown,
        [
            ("Reasoner", true, true),
            ("Writer", false, false),
            ("Local", false, false)
        ]
    );
    let raw = serde_json::to_string(&listed).unwrap();
    for secret in [
        east.base_url(),
        west.base_url(),
        "127.0.0.1".into(),
        "east-key".into(),
    ] {
        assert!(!raw.contains(&secret), "{raw}");
    }
    assert_eq!(
        listed[2].label.as_deref(),
        Some("OpenAI-compatible · llama3.1")
    );

    let session = on_laptop.create_session(None).await.expect("a session");
    let writer = SessionSettings {
        model: Some("Writer".into()),
        ..SessionSettings::default()
    };
    let set = on_laptop
        .set_settings(&RecordRef::Id(session.id), writer.clone())
        .await
        .expect("set to Writer");
    assert_eq!(set.model.as_deref(), Some("Writer"));

    // Sent through the other instance: answered by Writer, with its key.
    let sent = on_desktop
        .send(send_in(session.id, "a haiku"), |_| {})
        .await
        .expect("sent");
    assert_eq!(sent.reply.model.as_deref(), Some("gpt-4o"));
    let at_west = west.requests();
    assert_eq!(at_west.len(), 1);
    assert!(at_west[0].auth_ok);
    assert_eq!(at_west[0].body["messages"][0]["role"], "system");
    assert!(east.requests().is_empty());

    // The desktop's copy holds the chat's model.
    on_desktop.pull().await.expect("pulled");
    let held = on_desktop
        .copy()
        .expect("the desktop's copy")
        .chat()
        .get_session(&RecordRef::Id(session.id))
        .await
        .expect("held");
    assert_eq!(held.settings(), writer);

    // Another chat, naming no model, is answered by the default.
    let other = on_laptop.create_session(None).await.expect("another");
    let plain = on_laptop
        .send(send_in(other.id, "a proof"), |_| {})
        .await
        .expect("sent");
    assert_eq!(plain.reply.model.as_deref(), Some("o3-mini"));
    assert_eq!(east.requests().len(), 1);

    // A client from before named models sends settings without a model:
    // the chat keeps its own.
    let token = access_token(&laptop_env, &laptop, &h.a.url);
    let (status, kept) = h
        .call(
            reqwest::Method::PUT,
            &h.a.url,
            &format!("/v1/sessions/{}/settings", session.id),
            Some(&token),
            Some(json!({"systemPrompt": "Be brief.", "reasoningEffort": null})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{kept}");
    assert_eq!(kept["model"], json!("Writer"), "{kept}");
    assert_eq!(kept["systemPrompt"], json!("Be brief."), "{kept}");
    let writer = SessionSettings {
        system_prompt: Some("Be brief.".into()),
        ..writer
    };

    // A name the operator has not configured: refused, nothing changes.
    let error = on_laptop
        .client()
        .set_session_settings(
            &RecordRef::Id(session.id),
            &SessionSettings {
                model: Some("Nowhere".into()),
                ..SessionSettings::default()
            },
        )
        .await
        .expect_err("not configured");
    assert_eq!(error.code(), ErrorCode::ModelNotFound);
    let still = on_laptop
        .client()
        .session(&RecordRef::Id(session.id))
        .await
        .expect("read back");
    assert_eq!(still.settings(), writer);
}
