//! Several named models on one computer: each with its own endpoint and key
//! slot, a chat answered by the model it names (checked on the wire at two
//! mock servers with different keys), the default for the rest; a rename
//! moves a model's chats, a removal sends them to the default; a name that
//! is not configured is refused before a chat is set to it; a model that
//! cannot answer stays listed with the reason and its chats are told,
//! charged nothing; a profile from the one-model versions keeps its model.
//!
//! No test here sets `AZURE_OPENAI_*`: the process environment is shared.

use banter_core::chat::SessionSettings;
use banter_core::ids::RecordRef;
use banter_core::models::{ConfiguredModel, ModelInput};
use banter_core::providers::{ModelFamily, ProviderConfig, Secret};
use banter_core::secrets::{SecretName, SecretStore};
use banter_core::{Core, ErrorCode};
use banter_mocks::{MockConfig, MockServer};
use banter_tests::{mock_azure_config, send_text, Env};
use serde_json::json;

async fn mock_with_key(key: &str) -> MockServer {
    banter_mocks::start(MockConfig {
        api_key: key.to_string(),
        ..MockConfig::default()
    })
    .await
    .expect("start mock")
}

fn input(name: &str, config: ProviderConfig, key: Option<&str>) -> ModelInput {
    ModelInput {
        name: name.to_string(),
        previous_name: None,
        config,
        api_key: key.map(str::to_string),
        clear_key: false,
        make_default: false,
    }
}

fn names(models: &[ConfiguredModel]) -> Vec<(String, bool)> {
    models
        .iter()
        .map(|m| (m.summary.name.clone(), m.summary.is_default))
        .collect()
}

/// Saves an Azure model on `mock`'s `deployment` under `name`, with `key`
/// for its endpoint; returns the list as Settings shows it then.
async fn save(
    core: &Core,
    name: &str,
    mock: &MockServer,
    deployment: &str,
    key: Option<&str>,
) -> banter_core::Result<Vec<ConfiguredModel>> {
    let config = mock_azure_config(&mock.base_url(), deployment, true);
    core.save_model(input(name, config, key)).await
}

/// A chat set to `model` (`None`: the default).
async fn chat_on(core: &Core, model: Option<&str>) -> i64 {
    let session = core.chat().create_session(None).await.expect("a session");
    let settings = SessionSettings {
        model: model.map(str::to_string),
        ..SessionSettings::default()
    };
    core.check_session_model(None, &settings)
        .await
        .expect("a model");
    core.chat()
        .set_session_settings(&RecordRef::Id(session.id), settings)
        .await
        .expect("settings")
        .id
}

async fn model_of(core: &Core, id: i64) -> Option<String> {
    core.chat()
        .get_session(&RecordRef::Id(id))
        .await
        .expect("the chat")
        .model
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_chat_is_answered_by_its_own_model_with_that_models_key() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let east = mock_with_key("east-key").await;
    let west = mock_with_key("west-key").await;
    let (reasoner, writer) = {
        let core = env.open().await;
        save(&core, "Reasoner", &east, "o3-mini", Some("east-key"))
            .await
            .expect("first model");
        let listed = save(&core, "Writer", &west, "gpt-4o", Some("west-key"))
            .await
            .expect("second model");
        // The first one saved is the default until another is chosen.
        assert_eq!(
            names(&listed),
            [("Reasoner".into(), true), ("Writer".into(), false)]
        );
        assert!(listed
            .iter()
            .all(|m| m.key_configured && m.summary.problem.is_none()));
        let writer = listed.iter().find(|m| m.summary.name == "Writer").unwrap();
        assert_eq!(
            (writer.summary.reasons, writer.summary.streams),
            (false, true),
            "a GPT deployment takes no effort"
        );
        let reasoner = chat_on(&core, None).await;
        let writer = chat_on(&core, Some("Writer")).await;
        core.close().await;
        (reasoner, writer)
    };

    // After a restart the models and the chats' choices are still there.
    let core = env.open().await;
    core.use_configured_provider()
        .await
        .expect("the default answers");
    assert_eq!(model_of(&core, writer).await.as_deref(), Some("Writer"));
    let written = send_text(&core, writer, "a haiku").await.unwrap();
    assert_eq!(written.reply.model.as_deref(), Some("gpt-4o"));
    let reasoned = send_text(&core, reasoner, "a proof").await.unwrap();
    assert_eq!(reasoned.reply.model.as_deref(), Some("o3-mini"));

    // Each request went to its own model's endpoint with that model's key
    // (a wrong key would be refused by the mock), in its own shape.
    let at_west = west.requests();
    assert_eq!(at_west.len(), 1);
    assert!(at_west[0].auth_ok);
    assert_eq!(at_west[0].deployment, "gpt-4o");
    assert_eq!(at_west[0].body["messages"][0]["role"], json!("system"));
    let at_east = east.requests();
    assert_eq!(at_east.len(), 1);
    assert!(at_east[0].auth_ok);
    assert_eq!(at_east[0].deployment, "o3-mini");
    assert_eq!(at_east[0].body["messages"][0]["role"], json!("developer"));

    // The default can change: chats naming no model follow it.
    core.set_default_model("Writer").await.expect("default");
    let again = send_text(&core, reasoner, "again").await.unwrap();
    assert_eq!(again.reply.model.as_deref(), Some("gpt-4o"));
    assert_eq!(west.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_moves_a_models_chats_and_a_removal_sends_them_to_the_default() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock_with_key("test-key").await;
    let core = env.open().await;
    for (name, deployment) in [("Reasoner", "o3-mini"), ("Writer", "gpt-4o")] {
        core.save_model(input(
            name,
            mock_azure_config(&mock.base_url(), deployment, true),
            Some("test-key"),
        ))
        .await
        .expect("a model");
    }
    let chat = chat_on(&core, Some("Writer")).await;
    let other = chat_on(&core, Some("Reasoner")).await;

    // Another model's name is taken; the list is unchanged.
    let taken = core
        .save_model(ModelInput {
            previous_name: Some("Writer".into()),
            ..input(
                "Reasoner",
                mock_azure_config(&mock.base_url(), "gpt-4o", true),
                None,
            )
        })
        .await
        .unwrap_err();
    assert_eq!(taken.code(), ErrorCode::InvalidInput);
    assert_eq!(model_of(&core, chat).await.as_deref(), Some("Writer"));

    let renamed = core
        .save_model(ModelInput {
            previous_name: Some("Writer".into()),
            make_default: true,
            ..input(
                "Poet",
                mock_azure_config(&mock.base_url(), "gpt-4o", true),
                None,
            )
        })
        .await
        .expect("renamed");
    assert_eq!(
        names(&renamed),
        [("Reasoner".into(), false), ("Poet".into(), true)]
    );
    assert!(
        renamed.iter().all(|m| m.key_configured),
        "the key stays in the endpoint's slot"
    );
    assert_eq!(model_of(&core, chat).await.as_deref(), Some("Poet"));
    assert_eq!(model_of(&core, other).await.as_deref(), Some("Reasoner"));

    // Removing the default: its chats and the default go to what is left.
    let left = core.delete_model("Poet").await.expect("removed");
    assert_eq!(names(&left), [("Reasoner".into(), true)]);
    assert_eq!(model_of(&core, chat).await, None);
    let out = send_text(&core, chat, "still here").await.unwrap();
    assert_eq!(out.reply.model.as_deref(), Some("o3-mini"));
    assert_eq!(
        core.delete_model("Poet").await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_is_not_configured_or_cannot_answer_is_refused_and_charges_nothing() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock_with_key("test-key").await;
    let elsewhere = mock_with_key("other-key").await;
    let core = env.open().await;
    save(&core, "Reasoner", &mock, "o3-mini", Some("test-key"))
        .await
        .expect("a model");
    // Saved without a key for its endpoint: listed, with the reason.
    let listed = save(&core, "Keyless", &elsewhere, "o3-mini", None)
        .await
        .expect("saved all the same");
    let keyless = listed
        .iter()
        .find(|m| m.summary.name == "Keyless")
        .expect("listed");
    assert!(!keyless.key_configured);
    assert!(
        keyless
            .summary
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("key")),
        "{keyless:?}"
    );

    let unknown = SessionSettings {
        model: Some("Nowhere".into()),
        ..SessionSettings::default()
    };
    assert_eq!(
        core.check_session_model(None, &unknown)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::ModelNotFound
    );

    let before = core.balance().await.unwrap().remaining;
    let chat = chat_on(&core, Some("Keyless")).await;
    let refused = send_text(&core, chat, "hello").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ProviderNotConfigured);
    // The key of the other endpoint never went there; nothing was paid.
    assert!(elsewhere.requests().is_empty());
    assert!(mock.requests().is_empty());
    assert_eq!(core.balance().await.unwrap().remaining, before);
    let page = core
        .chat()
        .list_messages(&RecordRef::Id(chat), None, None)
        .await
        .unwrap();
    assert!(page.messages.is_empty());

    // A chat naming a model removed behind its back (another process, an
    // edited profile) is told which, not answered by another model.
    core.settings()
        .update_models(|saved| {
            saved.models.clear();
            Ok(None)
        })
        .await
        .unwrap();
    core.use_configured_provider().await.unwrap_err();
    let gone = chat_on_unchecked(&core, "Reasoner").await;
    let refused = send_text(&core, gone, "hello").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ProviderNotConfigured);
    save(&core, "Writer", &mock, "gpt-4o", None)
        .await
        .expect("another model");
    let refused = send_text(&core, gone, "hello").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ModelNotFound);
    assert!(refused.to_string().contains("Reasoner"), "{refused}");
    assert_eq!(core.balance().await.unwrap().remaining, before);
}

/// A chat set to `model` without asking the catalogue (as a copy of the
/// server's chats, or an older profile, may hold).
async fn chat_on_unchecked(core: &Core, model: &str) -> i64 {
    let session = core.chat().create_session(None).await.expect("a session");
    core.chat()
        .set_session_settings(
            &RecordRef::Id(session.id),
            SessionSettings {
                model: Some(model.to_string()),
                ..SessionSettings::default()
            },
        )
        .await
        .expect("settings")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_of_a_one_model_profile_becomes_the_default_of_the_list() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock_with_key("test-key").await;
    let core = env.open().await;
    // What the versions with one model saved.
    let old = mock_azure_config(&mock.base_url(), "o3-mini", true);
    core.settings().set_provider(&old).await.unwrap();
    env.secrets
        .set(
            SecretName::provider_key(&old).unwrap(),
            &Secret::new("test-key"),
        )
        .unwrap();

    let listed = core.configured_models().await.unwrap();
    assert_eq!(names(&listed), [("o3-mini".into(), true)]);
    assert_eq!(listed[0].config, old);
    let mut writer = mock_azure_config(&mock.base_url(), "gpt-4o", true);
    if let ProviderConfig::Azure(azure) = &mut writer {
        assert_eq!(azure.family, ModelFamily::Gpt);
    }
    let listed = core
        .save_model(input("Writer", writer, None))
        .await
        .unwrap();
    assert_eq!(
        names(&listed),
        [("o3-mini".into(), true), ("Writer".into(), false)]
    );
    let chat = chat_on(&core, None).await;
    let out = send_text(&core, chat, "hi").await.unwrap();
    assert_eq!(out.reply.model.as_deref(), Some("o3-mini"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_saved_by_another_process_is_picked_up_and_a_paid_retry_replays_without_its_model()
{
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock_with_key("test-key").await;
    let core = env.open().await;
    save(&core, "Reasoner", &mock, "o3-mini", Some("test-key"))
        .await
        .expect("a model");
    // Another process on this profile (`banter-cli models add`) adds one:
    // written to the setting directly, the catalogue here does not know it.
    core.settings()
        .update_models(|saved| {
            saved.models.push(banter_core::settings::SavedModel {
                name: "Writer".into(),
                config: mock_azure_config(&mock.base_url(), "gpt-4o", true),
            });
            Ok(None)
        })
        .await
        .unwrap();
    let chat = chat_on_unchecked(&core, "Writer").await;
    assert_eq!(
        send_text(&core, chat, "early").await.unwrap_err().code(),
        ErrorCode::ModelNotFound,
        "not known here yet"
    );
    core.refresh_models().await.expect("reread");
    let request = || banter_core::chat::SendRequest {
        session: Some(RecordRef::Id(chat)),
        content: "a haiku".into(),
        include_context: false,
        idempotency_key: Some("retry-key-1".into()),
        edit_of: None,
        attachments: Vec::new(),
    };
    let first = core.chat_engine().send(request()).await.expect("answered");
    assert_eq!(first.reply.model.as_deref(), Some("gpt-4o"));
    let balance = core.balance().await.unwrap().remaining;

    // The model goes (removed elsewhere, its chats not moved): a retry of
    // the paid send still gets its answer, and nothing is charged again.
    core.settings()
        .update_models(|saved| {
            saved.models.retain(|m| m.name != "Writer");
            Ok(None)
        })
        .await
        .unwrap();
    core.refresh_models().await.expect("reread");
    let again = core.chat_engine().send(request()).await.expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.reply.id, first.reply.id);
    assert_eq!(core.balance().await.unwrap().remaining, balance);
    // A new send in that chat is told its model is gone.
    let refused = send_text(&core, chat, "new").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ModelNotFound);
    assert_eq!(core.balance().await.unwrap().remaining, balance);

    // Its prompt can still change; only a new model is checked.
    let kept = SessionSettings {
        system_prompt: Some("Be brief.".into()),
        model: Some("Writer".into()),
        ..SessionSettings::default()
    };
    core.check_session_model(Some("Writer"), &kept)
        .await
        .expect("the chat's own model is not asked again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_changes_to_the_models_at_once_both_land() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mock = mock_with_key("test-key").await;
    let core = env.open().await;
    let saves = (0..6).map(|i| {
        let core = core.clone();
        let config = mock_azure_config(&mock.base_url(), &format!("d{i}"), true);
        tokio::spawn(async move { core.save_model(input(&format!("M{i}"), config, None)).await })
    });
    for save in saves {
        save.await.expect("task").expect("saved");
    }
    let mut listed: Vec<String> = core
        .configured_models()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.summary.name)
        .collect();
    listed.sort();
    assert_eq!(listed, ["M0", "M1", "M2", "M3", "M4", "M5"]);
}
