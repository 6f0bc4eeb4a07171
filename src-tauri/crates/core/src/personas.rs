//! Saved personas: a name and the settings a chat started from it gets (its
//! system prompt and, optionally, its reasoning effort). Starting a chat
//! from one copies them onto the session ([`crate::chat::SessionSettings`]),
//! so editing or deleting the persona later leaves existing chats as they
//! are. Personas belong to this profile and stay on this computer, also
//! when it is signed in to a server (which keeps only each chat's settings).

use crate::chat::{SessionSettings, MAX_SYSTEM_PROMPT_CHARS};
use crate::error::{Error, Result};
use crate::providers::ReasoningEffort;
use crate::validate::{required_line, required_text};
use crate::Core;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest persona name, in characters.
pub const MAX_PERSONA_NAME_CHARS: usize = 60;

/// A saved persona.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Persona {
    /// Unique in the profile, ignoring case.
    pub name: String,
    pub prompt: String,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Persona {
    /// The settings a chat started from this persona gets.
    pub fn settings(&self) -> SessionSettings {
        SessionSettings {
            system_prompt: Some(self.prompt.clone()),
            reasoning_effort: self.reasoning_effort,
            model: None,
        }
    }
}

/// What saving a persona takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewPersona {
    pub name: String,
    pub prompt: String,
    #[serde(default)]
    pub reasoning_effort: Option<ReasoningEffort>,
}

const PERSONA_COLUMNS: &str = "name, prompt, reasoning_effort, created_at, updated_at";

impl Core {
    /// This profile's personas, by name.
    pub async fn personas(&self) -> Result<Vec<Persona>> {
        let sql = format!(
            "SELECT {PERSONA_COLUMNS} FROM personas WHERE user_id = ? ORDER BY name COLLATE NOCASE"
        );
        Ok(sqlx::query_as(&sql)
            .bind(self.user_id())
            .fetch_all(self.db.pool())
            .await?)
    }

    /// The persona called `name` (ignoring case).
    pub async fn persona(&self, name: &str) -> Result<Persona> {
        let sql = format!("SELECT {PERSONA_COLUMNS} FROM personas WHERE user_id = ? AND name = ?");
        sqlx::query_as(&sql)
            .bind(self.user_id())
            .bind(name.trim())
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| Error::not_found("persona", name.trim()))
    }

    /// Saves a persona; one of the same name (ignoring case) is replaced.
    /// Its prompt follows a chat's rules ([`SessionSettings::checked`]) and
    /// may not be blank: a persona without a prompt would be the default.
    pub async fn save_persona(&self, persona: NewPersona) -> Result<Persona> {
        let name = required_line("name", &persona.name, MAX_PERSONA_NAME_CHARS)?;
        let prompt = required_text("prompt", &persona.prompt, MAX_SYSTEM_PROMPT_CHARS)?;
        let now = self.clock.now();
        let sql = format!(
            "INSERT INTO personas (user_id, name, prompt, reasoning_effort, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (user_id, name) DO UPDATE SET name = excluded.name,
                 prompt = excluded.prompt, reasoning_effort = excluded.reasoning_effort,
                 updated_at = excluded.updated_at
             RETURNING {PERSONA_COLUMNS}"
        );
        let mut tx = self.db.begin_write().await?;
        let saved: Persona = sqlx::query_as(&sql)
            .bind(self.user_id())
            .bind(&name)
            .bind(&prompt)
            .bind(persona.reasoning_effort)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Deletes the persona called `name`; chats started from it keep their
    /// settings.
    pub async fn delete_persona(&self, name: &str) -> Result<Persona> {
        let sql = format!(
            "DELETE FROM personas WHERE user_id = ? AND name = ? RETURNING {PERSONA_COLUMNS}"
        );
        let mut tx = self.db.begin_write().await?;
        let deleted: Option<Persona> = sqlx::query_as(&sql)
            .bind(self.user_id())
            .bind(name.trim())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        deleted.ok_or_else(|| Error::not_found("persona", name.trim()))
    }
}
