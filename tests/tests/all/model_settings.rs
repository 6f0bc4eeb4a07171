//! The Settings screen's model: where the configuration comes from, keys in
//! the key store (never in the database or the returned settings), the
//! connection check against the mock, the quick-chat shortcut, prices and
//! the paged credit history.
//!
//! No test here sets `AZURE_OPENAI_*`: the process environment is shared.

use banter_core::ledger::{Action, Costs};
use banter_core::model_settings::{ConfigSource, KeySource, ProviderSettingsInput};
use banter_core::providers::{OpenAiCompatConfig, ProviderConfig};
use banter_core::secrets::{SecretName, SecretStore};
use banter_core::ErrorCode;
use banter_mocks::MockConfig;
use banter_tests::{mock_azure_config, raw_conn, Env};

fn azure(endpoint: &str, deployment: &str) -> ProviderConfig {
    mock_azure_config(endpoint, deployment, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_model_and_key_are_used_and_the_key_never_comes_back() {
    assert!(
        std::env::var_os("AZURE_OPENAI_ENDPOINT").is_none(),
        "run the tests without AZURE_OPENAI_* set"
    );
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(MockConfig::default()).await.unwrap();

    let none = core.provider_settings().await.unwrap();
    assert_eq!(none.source, ConfigSource::None);
    assert!(!none.key_configured);
    assert_eq!(none.label, None);
    let err = core.check_connection(None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderNotConfigured);

    // A wrong key: saved, then the check says unauthorized.
    let saved = core
        .save_provider_settings(ProviderSettingsInput {
            config: azure(&mock.base_url(), "o3-mini"),
            api_key: Some("wrong-key".into()),
            clear_key: false,
        })
        .await
        .unwrap();
    assert_eq!(saved.source, ConfigSource::Settings);
    assert!(saved.key_configured);
    assert_eq!(saved.key_source, KeySource::Keyring);
    let err = core.check_connection(None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthorized);

    // The right key; `None` later keeps it.
    core.save_provider_settings(ProviderSettingsInput {
        config: azure(&mock.base_url(), "o3-mini"),
        api_key: Some("  test-key  ".into()),
        clear_key: false,
    })
    .await
    .unwrap();
    let kept = core
        .save_provider_settings(ProviderSettingsInput {
            config: azure(&mock.base_url(), "o3-mini"),
            api_key: None,
            clear_key: false,
        })
        .await
        .unwrap();
    assert!(kept.key_configured);
    assert_eq!(kept.label.as_deref(), Some("Azure OpenAI · o3-mini"));
    let check = core.check_connection(None).await.unwrap();
    assert_eq!(check.label, "Azure OpenAI · o3-mini");
    assert_eq!(
        env.secrets
            .get(SecretName::provider_key(&azure(&mock.base_url(), "o3-mini")).unwrap())
            .unwrap()
            .map(|k| k.expose().to_string()),
        Some("test-key".to_string())
    );

    // The key is in neither the returned settings nor the database.
    let shown = serde_json::to_string(&kept).unwrap();
    assert!(!shown.contains("test-key"), "{shown}");
    core.close().await;
    let mut conn = raw_conn(&env.db_path()).await;
    let values: Vec<String> = sqlx::query_scalar("SELECT value FROM settings")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(values.iter().all(|v| !v.contains("test-key")), "{values:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_check_reports_provider_errors_by_code() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(MockConfig::default()).await.unwrap();
    core.save_provider_settings(ProviderSettingsInput {
        config: azure(&mock.base_url(), "not-found"),
        api_key: Some("test-key".into()),
        clear_key: false,
    })
    .await
    .unwrap();
    let err = core.check_connection(None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::DeploymentNotFound);

    // Clearing the key: an Azure model without a key is not usable.
    let cleared = core
        .save_provider_settings(ProviderSettingsInput {
            config: azure(&mock.base_url(), "o3-mini"),
            api_key: None,
            clear_key: true,
        })
        .await
        .unwrap();
    assert!(!cleared.key_configured);
    assert_eq!(cleared.label, None);
    assert_eq!(
        core.check_connection(None).await.unwrap_err().code(),
        ErrorCode::ProviderNotConfigured
    );

    // A bad URL is refused and the saved model stays.
    let err = core
        .save_provider_settings(ProviderSettingsInput {
            config: ProviderConfig::OpenAiCompatible(OpenAiCompatConfig {
                base_url: "ftp://localhost".into(),
                model: "llama3".into(),
                streams: true,
                vision: false,
            }),
            api_key: None,
            clear_key: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let still = core.provider_settings().await.unwrap();
    assert!(matches!(still.config, Some(ProviderConfig::Azure(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_chat_shortcut_has_a_default_and_is_checked() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let settings = core.settings();
    assert_eq!(
        settings.quick_chat_shortcut().await.unwrap(),
        "CommandOrControl+Shift+Space"
    );
    assert_eq!(
        settings
            .set_quick_chat_shortcut(" Alt+Shift+K ")
            .await
            .unwrap(),
        "Alt+Shift+K"
    );
    assert_eq!(settings.quick_chat_shortcut().await.unwrap(), "Alt+Shift+K");
    for bad in ["", "Alt+;DROP TABLE", &"A+".repeat(40)] {
        let err = settings.set_quick_chat_shortcut(bad).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
    }
    assert_eq!(settings.quick_chat_shortcut().await.unwrap(), "Alt+Shift+K");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_come_from_the_ledger_and_history_pages_back_to_the_first_row() {
    let costs = Costs::current();
    assert_eq!(costs.chat_message, Action::ChatMessage.cost());
    assert_eq!(
        (
            costs.chat_message,
            costs.project_generation,
            costs.url_scrape
        ),
        (3, 15, 5)
    );
    assert_eq!(costs.low_balance_threshold, 20);

    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    banter_tests::spend_n(&core, Action::ChatMessage, 5, "page").await;
    let ledger = core.ledger();
    let first = ledger
        .history_page(core.user_id(), None, Some(4))
        .await
        .unwrap();
    assert_eq!(first.entries.len(), 4);
    assert!(first.entries.windows(2).all(|w| w[0].id > w[1].id));
    let second = ledger
        .history_page(core.user_id(), first.older_cursor, Some(4))
        .await
        .unwrap();
    // 5 spends + the opening grant = 6 rows.
    assert_eq!(second.entries.len(), 2);
    assert_eq!(second.older_cursor, None);
    assert_eq!(second.entries[1].balance_after, 100);
}
