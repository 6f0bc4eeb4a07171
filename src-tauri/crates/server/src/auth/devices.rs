//! Signed-in devices and their tokens.
//!
//! Each sign-in creates a device with a short-lived access token and a
//! refresh token. Refreshing rotates: the used refresh token is marked and a
//! new pair issued. A used refresh token presented again means someone kept
//! a copy, so the device is revoked and every token it holds stops working
//! (RFC 6819 §5.2.2.3; OAuth 2.0 Security BCP, refresh token rotation).
//! Every request checks its token against the device row, so sign-out and
//! "sign out other devices" take effect at once on every instance.

use super::secret_token::{self, ACCESS_PREFIX, REFRESH_PREFIX};
use crate::error::{HttpError, HttpResult};
use banter_core::ErrorCode;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

/// How long an access token works; the app refreshes before then.
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
/// Longest device name kept.
pub const MAX_DEVICE_NAME_CHARS: usize = 80;

/// Why a device was signed out, as stored in `devices.revoked_why`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    SignedOut,
    ByOtherDevice,
    RefreshReused,
}

impl Revoked {
    fn as_str(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::ByOtherDevice => "signed_out_by_another_device",
            Self::RefreshReused => "refresh_token_reused",
        }
    }
}

/// The tokens handed to a device, named as an OAuth token response names
/// them (RFC 6749 §5.1); the server's other answers are camelCase like the
/// core's.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds the access token works.
    pub expires_in: i64,
    pub device_id: String,
}

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub device_id: String,
}

/// A device as the account screen lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An access token's row: its device's account and id, its expiry, and
/// when the device was revoked.
#[derive(sqlx::FromRow)]
struct AccessRow {
    user_id: String,
    device_id: String,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

/// A refresh token's row: its device, when it was used, when the device
/// was revoked.
#[derive(sqlx::FromRow)]
struct RefreshRow {
    device_id: String,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn token_error(e: getrandom::Error) -> HttpError {
    tracing::error!(error = %e, "the operating system gave no random bytes");
    HttpError::new(ErrorCode::Internal, "cannot make a token")
}

/// Creates a device for `user_id` and its first tokens, in the caller's
/// transaction (the sign-in's).
pub async fn create(
    conn: &mut PgConnection,
    user_id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> HttpResult<TokenPair> {
    let device_id = uuid::Uuid::new_v4().to_string();
    let name: String = name.trim().chars().take(MAX_DEVICE_NAME_CHARS).collect();
    let name = if name.is_empty() {
        "device".to_string()
    } else {
        name
    };
    sqlx::query(
        "INSERT INTO devices (id, user_id, name, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&device_id)
    .bind(user_id)
    .bind(&name)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    issue(conn, &device_id, now).await
}

/// A new access and refresh token for `device_id`.
async fn issue(
    conn: &mut PgConnection,
    device_id: &str,
    now: DateTime<Utc>,
) -> HttpResult<TokenPair> {
    let access = secret_token::generate(ACCESS_PREFIX).map_err(token_error)?;
    let refresh = secret_token::generate(REFRESH_PREFIX).map_err(token_error)?;
    sqlx::query(
        "INSERT INTO access_tokens (token_hash, device_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(secret_token::hash(&access))
    .bind(device_id)
    .bind(now + ACCESS_TOKEN_TTL)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, device_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(secret_token::hash(&refresh))
    .bind(device_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(TokenPair {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
        device_id: device_id.to_string(),
    })
}

/// The caller an access token belongs to, or why it is refused.
pub async fn authenticate(pool: &PgPool, token: &str, now: DateTime<Utc>) -> HttpResult<Caller> {
    let found: Option<AccessRow> = sqlx::query_as(
        "SELECT d.user_id, d.id AS device_id, t.expires_at, d.revoked_at
           FROM access_tokens t JOIN devices d ON d.id = t.device_id
          WHERE t.token_hash = $1",
    )
    .bind(secret_token::hash(token))
    .fetch_optional(pool)
    .await?;
    let Some(AccessRow {
        user_id,
        device_id,
        expires_at,
        revoked_at,
    }) = found
    else {
        return Err(HttpError::new(
            ErrorCode::NotSignedIn,
            "unknown access token; sign in",
        ));
    };
    if revoked_at.is_some() {
        return Err(HttpError::new(
            ErrorCode::DeviceRevoked,
            "this device was signed out; sign in again",
        ));
    }
    if now >= expires_at {
        return Err(HttpError::new(
            ErrorCode::TokenExpired,
            "the access token expired; refresh it",
        ));
    }
    Ok(Caller { user_id, device_id })
}

/// Rotates a refresh token: marks it used and issues a new pair. A token
/// used before revokes its device (and this call fails).
pub async fn refresh(
    pool: &PgPool,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> HttpResult<TokenPair> {
    let mut tx = pool.begin().await?;
    // The row lock makes two racing refreshes of one token take turns: the
    // second sees the first's mark and is treated as a reuse.
    let found: Option<RefreshRow> = sqlx::query_as(
        "SELECT t.device_id, t.used_at, d.revoked_at
           FROM refresh_tokens t JOIN devices d ON d.id = t.device_id
          WHERE t.token_hash = $1
            FOR UPDATE OF t, d",
    )
    .bind(secret_token::hash(refresh_token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(RefreshRow {
        device_id,
        used_at,
        revoked_at,
    }) = found
    else {
        return Err(HttpError::new(
            ErrorCode::NotSignedIn,
            "unknown refresh token; sign in",
        ));
    };
    if revoked_at.is_some() {
        return Err(HttpError::new(
            ErrorCode::DeviceRevoked,
            "this device was signed out; sign in again",
        ));
    }
    if used_at.is_some() {
        revoke_in(&mut tx, &device_id, Revoked::RefreshReused, now).await?;
        tx.commit().await?;
        tracing::warn!(
            device_id,
            "a used refresh token came back; the device is signed out"
        );
        return Err(HttpError::new(
            ErrorCode::RefreshTokenReused,
            "this refresh token was already used, so the device was signed out; sign in again",
        ));
    }
    sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(secret_token::hash(refresh_token))
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&device_id)
        .execute(&mut *tx)
        .await?;
    let pair = issue(&mut tx, &device_id, now).await?;
    tx.commit().await?;
    Ok(pair)
}

/// Signs a device out. Its tokens stay (as hashes) so that a request with
/// one is told `device_revoked` — "you were signed out" — rather than that
/// the token is unknown; every check reads the device's `revoked_at`.
async fn revoke_in(
    conn: &mut PgConnection,
    device_id: &str,
    why: Revoked,
    now: DateTime<Utc>,
) -> HttpResult<()> {
    sqlx::query(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, $1), revoked_why = COALESCE(revoked_why, $2)
          WHERE id = $3",
    )
    .bind(now)
    .bind(why.as_str())
    .bind(device_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Signs out the caller's own device.
pub async fn sign_out(pool: &PgPool, caller: &Caller, now: DateTime<Utc>) -> HttpResult<()> {
    let mut tx = pool.begin().await?;
    revoke_in(&mut tx, &caller.device_id, Revoked::SignedOut, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Signs out every other device of the caller's account; returns how many.
pub async fn sign_out_others(
    pool: &PgPool,
    caller: &Caller,
    now: DateTime<Utc>,
) -> HttpResult<usize> {
    let mut tx = pool.begin().await?;
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM devices WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL FOR UPDATE",
    )
    .bind(&caller.user_id)
    .bind(&caller.device_id)
    .fetch_all(&mut *tx)
    .await?;
    for device_id in &others {
        revoke_in(&mut tx, device_id, Revoked::ByOtherDevice, now).await?;
    }
    tx.commit().await?;
    Ok(others.len())
}

/// The account's devices, newest first.
pub async fn list(pool: &PgPool, user_id: &str) -> HttpResult<Vec<DeviceInfo>> {
    Ok(sqlx::query_as(
        "SELECT id, name, created_at, last_seen_at, revoked_at FROM devices
          WHERE user_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}
