//! Typed settings stored as JSON in the `settings` table. Secrets never go
//! here (keys live in the environment or the OS keyring). A value that does
//! not parse is reported as `setting_corrupt`, never replaced by a default.

use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::ErrorCode;
use crate::error::Result;
use crate::providers::{AzureConfig, ProviderConfig};
use crate::validate::ValidationError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

/// The chat model configuration of versions with one model (provider,
/// endpoint, deployment, family); read as the only model until [`MODELS`]
/// is first saved.
pub const PROVIDER: &str = "provider";
/// The configured chat models by name, and the default ([`SavedModels`]).
pub const MODELS: &str = "models";
/// The global shortcut that shows the quick-chat window.
pub const QUICK_CHAT_SHORTCUT: &str = "quick_chat_shortcut";
pub const DEFAULT_QUICK_CHAT_SHORTCUT: &str = "CommandOrControl+Shift+Space";
/// Which Banter server the profile is signed in to, as whom (no tokens:
/// those are in the keyring).
pub const HOSTED_ACCOUNT: &str = "hosted_account";

/// One configured model: the name chats remember it by, and how to call it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedModel {
    pub name: String,
    pub config: ProviderConfig,
}

/// The models saved in Settings, in the order the picker shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedModels {
    pub models: Vec<SavedModel>,
    /// The default model's name; `None` (or a name not in `models`): the
    /// first one.
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("the saved setting {key:?} is damaged ({detail}); fix or clear it in Settings")]
    Corrupt { key: String, detail: String },
}

impl SettingsError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Corrupt { .. } => ErrorCode::SettingCorrupt,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    db: Db,
    clock: SharedClock,
}

impl Settings {
    pub(crate) fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let mut conn = self.db.pool().acquire().await?;
        get_on(&mut conn, key).await
    }

    async fn set<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let json = serde_json::to_string(value).map_err(|e| ValidationError::Invalid {
            field: "setting",
            reason: e.to_string(),
        })?;
        let upsert = sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(json)
        .bind(self.clock.now());
        self.db.write_one(upsert).await?;
        Ok(())
    }

    /// The saved chat model, if any.
    pub async fn provider(&self) -> Result<Option<ProviderConfig>> {
        self.get(PROVIDER).await
    }

    /// The saved models: [`MODELS`], or, before it was ever saved, the one
    /// model of [`PROVIDER`] under its deployment's name.
    pub async fn models(&self) -> Result<SavedModels> {
        let mut conn = self.db.pool().acquire().await?;
        models_on(&mut conn).await
    }

    /// What changes whenever the saved models do (their stored text, a few
    /// hundred bytes, and when it was written: a save that leaves the text
    /// as it was may have stored a key for it): a process compares it to
    /// rebuild its models only after a change, made here or by another
    /// process on the same profile.
    pub async fn models_stamp(&self) -> Result<String> {
        let stamp: Option<String> = sqlx::query_scalar(
            "SELECT group_concat(key || '=' || value || '@' || updated_at, ';') FROM
               (SELECT key, value, updated_at FROM settings WHERE key IN (?, ?) ORDER BY key)",
        )
        .bind(MODELS)
        .bind(PROVIDER)
        .fetch_one(self.db.pool())
        .await?;
        Ok(stamp.unwrap_or_default())
    }

    /// Changes the saved models in one write transaction: `change` gets the
    /// list as it is inside the transaction (so two changes at once, from
    /// this process or another, never lose one) and returns the chats to
    /// move, `(old name, new name)`, a new name of `None` sending them to
    /// the default model; they move in the same transaction. Every model is
    /// checked as [`Self::set_provider`] checks one. Returns the list saved.
    pub async fn update_models<F>(&self, change: F) -> Result<SavedModels>
    where
        F: FnOnce(&mut SavedModels) -> Result<Option<(String, Option<String>)>>,
    {
        let mut tx = self.db.begin_write().await?;
        let mut models = models_on(&mut tx).await?;
        let moved = change(&mut models)?;
        for model in &models.models {
            check_model_config(&model.config)?;
        }
        let json = serde_json::to_string(&models).map_err(|e| ValidationError::Invalid {
            field: "setting",
            reason: e.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(MODELS)
        .bind(json)
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await?;
        if let Some((old, new)) = moved {
            sqlx::query("UPDATE chat_sessions SET model = ? WHERE model = ?")
                .bind(new)
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(models)
    }

    /// Saves the chat model after checking it can be used.
    pub async fn set_provider(&self, config: &ProviderConfig) -> Result<()> {
        validate_provider(config)?;
        crate::providers::check_endpoint(config)?;
        self.set(PROVIDER, config).await
    }

    /// The quick-chat shortcut (an accelerator such as `Alt+Space`).
    pub async fn quick_chat_shortcut(&self) -> Result<String> {
        Ok(self
            .get(QUICK_CHAT_SHORTCUT)
            .await?
            .unwrap_or_else(|| DEFAULT_QUICK_CHAT_SHORTCUT.to_string()))
    }

    /// Saves the quick-chat shortcut. The shell checks that the OS accepts
    /// it before calling this; here only its shape is checked.
    pub async fn set_quick_chat_shortcut(&self, shortcut: &str) -> Result<String> {
        let shortcut = crate::validate::required_text("shortcut", shortcut, 64)?;
        if !shortcut
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            return Err(ValidationError::Invalid {
                field: "shortcut",
                reason: "use keys joined by +, e.g. CommandOrControl+Shift+Space".into(),
            }
            .into());
        }
        self.set(QUICK_CHAT_SHORTCUT, &shortcut).await?;
        Ok(shortcut)
    }

    /// The hosted sign-in in force; `None` in local mode.
    pub async fn hosted_account(&self) -> Result<Option<crate::hosted::HostedAccount>> {
        self.get(HOSTED_ACCOUNT).await
    }

    pub async fn set_hosted_account(&self, account: &crate::hosted::HostedAccount) -> Result<()> {
        self.set(HOSTED_ACCOUNT, account).await
    }

    /// Back to local mode (the local profile's data is untouched).
    pub async fn clear_hosted_account(&self) -> Result<()> {
        let delete = sqlx::query("DELETE FROM settings WHERE key = ?").bind(HOSTED_ACCOUNT);
        self.db.write_one(delete).await?;
        Ok(())
    }

    pub async fn clear_provider(&self) -> Result<()> {
        let delete = sqlx::query("DELETE FROM settings WHERE key = ?").bind(PROVIDER);
        self.db.write_one(delete).await?;
        Ok(())
    }
}

/// The setting `key` read on `conn`; a value that does not parse is
/// `setting_corrupt`.
async fn get_on<T: DeserializeOwned>(conn: &mut SqliteConnection, key: &str) -> Result<Option<T>> {
    let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    raw.map(|raw| {
        serde_json::from_str(&raw).map_err(|e| {
            SettingsError::Corrupt {
                key: key.to_string(),
                detail: e.to_string(),
            }
            .into()
        })
    })
    .transpose()
}

/// [`Settings::models`] read on `conn`.
async fn models_on(conn: &mut SqliteConnection) -> Result<SavedModels> {
    if let Some(models) = get_on(conn, MODELS).await? {
        return Ok(models);
    }
    let legacy: Option<ProviderConfig> = get_on(conn, PROVIDER).await?;
    Ok(match legacy {
        Some(config) => SavedModels {
            models: vec![SavedModel {
                name: crate::models::name_of(&config),
                config,
            }],
            default: None,
        },
        None => SavedModels::default(),
    })
}

/// A model's configuration as it may be saved: an http(s) URL that is not
/// plain http to another host, and a deployment or model name.
pub(crate) fn check_model_config(config: &ProviderConfig) -> Result<()> {
    validate_provider(config)?;
    crate::providers::check_endpoint(config)?;
    Ok(())
}

/// An http(s) base URL and a non-empty deployment or model name.
fn validate_provider(config: &ProviderConfig) -> Result<(), ValidationError> {
    let (url, name, name_field) = match config {
        ProviderConfig::Azure(AzureConfig {
            endpoint,
            deployment,
            ..
        }) => (endpoint, deployment, "deployment"),
        ProviderConfig::OpenAiCompatible(c) => (&c.base_url, &c.model, "model"),
    };
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| ValidationError::Invalid {
        field: "endpoint",
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ValidationError::Invalid {
            field: "endpoint",
            reason: "use an http or https URL".into(),
        });
    }
    if name.trim().is_empty() {
        return Err(ValidationError::Empty { field: name_field });
    }
    Ok(())
}
