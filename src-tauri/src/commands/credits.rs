//! Credit balance, prices and history: the local ledger's, or the
//! server's when signed in.

use crate::hosted;
use crate::state::AppCore;
use banter_core::ledger::{Balance, Costs, LedgerPage};
use banter_core::ApiError;
use tauri::State;

/// The current balance (a due monthly reset is applied first).
#[tauri::command]
#[specta::specta]
pub async fn get_credits(core: State<'_, AppCore>) -> Result<Balance, ApiError> {
    let core = core.get().await?;
    match hosted::signed_in(core).await? {
        Some(client) => Ok(client.balance().await?),
        None => Ok(core.balance().await?),
    }
}

/// What each action costs and when the balance counts as low.
#[tauri::command]
#[specta::specta]
pub fn get_costs() -> Result<Costs, ApiError> {
    Ok(Costs::current())
}

/// Ledger rows, newest first, before row `before`.
#[tauri::command]
#[specta::specta]
pub async fn ledger_history(
    core: State<'_, AppCore>,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<LedgerPage, ApiError> {
    let core = core.get().await?;
    match hosted::signed_in(core).await? {
        Some(client) => Ok(client.ledger(before, limit).await?),
        None => Ok(core
            .ledger()
            .history_page(core.user_id(), before, limit)
            .await?),
    }
}
