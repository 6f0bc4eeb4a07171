//! The balance and the ledger: the same `Balance` and `LedgerPage` JSON the
//! desktop's own commands return, from the account's ledger on Postgres.

use crate::auth::Caller;
use crate::error::HttpResult;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use banter_core::ledger::{Balance, LedgerPage};
use serde::Deserialize;

pub async fn balance(State(state): State<AppState>, caller: Caller) -> HttpResult<Json<Balance>> {
    Ok(Json(state.ledger.balance(&caller.user_id).await?))
}

#[derive(Debug, Deserialize)]
pub struct LedgerQuery {
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

pub async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LedgerQuery>,
) -> HttpResult<Json<LedgerPage>> {
    Ok(Json(
        state
            .ledger
            .history_page(&caller.user_id, q.before, q.limit)
            .await?,
    ))
}
