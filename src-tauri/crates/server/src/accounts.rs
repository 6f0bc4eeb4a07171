//! Accounts: one per OpenID Connect identity (issuer + subject), created on
//! its first sign-in together with its ledger — the signup grant is written
//! once per account, never per device (the ledger's key for it is the
//! account id, so a second grant cannot even be written).

use crate::auth::devices::{self, TokenPair};
use crate::error::HttpResult;
use crate::state::AppState;
use banter_core::users::Profile;
use serde::Serialize;

/// Who the identity provider says signed in (from a verified ID token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// What a sign-in gives the device.
#[derive(Debug, Clone, Serialize)]
pub struct SignedIn {
    pub user_id: String,
    /// True when this sign-in created the account.
    pub created: bool,
    #[serde(flatten)]
    pub tokens: TokenPair,
}

/// The account as its owner sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    pub user_id: String,
    pub display_name: String,
    pub email: Option<String>,
}

/// Signs `identity` in on a new device named `device_name`, creating the
/// account on first sign-in.
pub async fn sign_in(
    state: &AppState,
    identity: &Identity,
    device_name: &str,
) -> HttpResult<SignedIn> {
    let now = state.clock.now();
    let mut tx = state.store.pool().begin().await?;
    let existing: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2")
            .bind(&identity.issuer)
            .bind(&identity.subject)
            .fetch_optional(&mut *tx)
            .await?;
    let (user_id, created) = match existing {
        Some(user_id) => (user_id, false),
        None => {
            let user_id = uuid::Uuid::new_v4().to_string();
            let display_name = identity
                .name
                .clone()
                .or_else(|| identity.email.clone())
                .unwrap_or_else(|| "Banter user".to_string());
            sqlx::query(
                "INSERT INTO users (id, display_name, email, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&user_id)
            .bind(&display_name)
            .bind(&identity.email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // Two first sign-ins of one person racing: the identity's key lets
            // one in; the other inserts nothing here and starts over below.
            let claimed = sqlx::query(
                "INSERT INTO identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (issuer, subject) DO NOTHING",
            )
            .bind(&identity.issuer)
            .bind(&identity.subject)
            .bind(&user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                drop(tx);
                return Box::pin(sign_in(state, identity, device_name)).await;
            }
            state.ledger.open_account_in(&mut tx, &user_id).await?;
            (user_id, true)
        }
    };
    let tokens = devices::create(&mut tx, &user_id, device_name, now).await?;
    tx.commit().await?;
    tracing::info!(user_id, created, device_id = %tokens.device_id, "signed in");
    Ok(SignedIn {
        user_id,
        created,
        tokens,
    })
}

/// The account as the core knows a customer; `None` for no such account.
pub async fn profile(state: &AppState, user_id: &str) -> HttpResult<Option<Profile>> {
    Ok(
        sqlx::query_as("SELECT id, display_name, email, created_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(state.store.pool())
            .await?,
    )
}

/// The caller's own account, as its owner sees it.
pub async fn info(state: &AppState, user_id: &str) -> HttpResult<AccountInfo> {
    let profile = profile(state, user_id)
        .await?
        .ok_or_else(|| banter_core::Error::not_found("account", user_id))?;
    Ok(AccountInfo {
        user_id: profile.id,
        display_name: profile.display_name,
        email: profile.email,
    })
}
