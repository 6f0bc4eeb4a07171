//! The account and its devices: who am I, refresh, sign out, sign out the
//! others, list devices.

use crate::accounts::{self, AccountInfo};
use crate::auth::devices::{self, DeviceInfo, TokenPair};
use crate::auth::Caller;
use crate::error::HttpResult;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    #[serde(flatten)]
    pub account: AccountInfo,
    pub device_id: String,
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> HttpResult<Json<Me>> {
    let account = accounts::info(&state, &caller.user_id).await?;
    Ok(Json(Me {
        account,
        device_id: caller.device_id,
    }))
}

#[derive(Debug, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> HttpResult<Json<TokenPair>> {
    Ok(Json(
        devices::refresh(state.store.pool(), &req.refresh_token, state.clock.now()).await?,
    ))
}

pub async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
) -> HttpResult<Json<serde_json::Value>> {
    devices::sign_out(state.store.pool(), &caller, state.clock.now()).await?;
    Ok(Json(serde_json::json!({ "signedOut": 1 })))
}

pub async fn sign_out_others(
    State(state): State<AppState>,
    caller: Caller,
) -> HttpResult<Json<serde_json::Value>> {
    let n = devices::sign_out_others(state.store.pool(), &caller, state.clock.now()).await?;
    Ok(Json(serde_json::json!({ "signedOut": n })))
}

pub async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
) -> HttpResult<Json<Vec<DeviceInfo>>> {
    Ok(Json(
        devices::list(state.store.pool(), &caller.user_id).await?,
    ))
}
