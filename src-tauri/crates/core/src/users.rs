//! The local profile. One is created on first run (that is "signup", with
//! its grant of free credits); its UUID is also the Autumn customer id.

use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::Result;
use crate::ledger::ops;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Returns the local profile, creating it (with the signup grant) if this is
/// the first run. Safe when several processes start at once: the check and
/// the creation share one write transaction.
pub async fn ensure_local_profile(db: &Db, clock: &SharedClock) -> Result<Profile> {
    let existing = sqlx::query_as(
        "SELECT id, display_name, email, created_at FROM users ORDER BY created_at, rowid LIMIT 1",
    );
    if let Some(profile) = existing.fetch_optional(db.pool()).await? {
        return Ok(profile);
    }
    let mut tx = db.begin_write().await?;
    let again = sqlx::query_as(
        "SELECT id, display_name, email, created_at FROM users ORDER BY created_at, rowid LIMIT 1",
    );
    if let Some(profile) = again.fetch_optional(&mut *tx).await? {
        return Ok(profile);
    }
    let now = clock.now();
    let profile = Profile {
        id: uuid::Uuid::new_v4().to_string(),
        display_name: default_display_name(),
        email: None,
        created_at: now,
    };
    sqlx::query("INSERT INTO users (id, display_name, email, created_at) VALUES (?, ?, ?, ?)")
        .bind(&profile.id)
        .bind(&profile.display_name)
        .bind(&profile.email)
        .bind(profile.created_at)
        .execute(&mut *tx)
        .await?;
    ops::signup_grant(&mut *tx, &profile.id, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %profile.id, "local profile created");
    Ok(profile)
}

fn default_display_name() -> String {
    ["USER", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "Banter user".to_string())
}
