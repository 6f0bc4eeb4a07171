//! Credit balance.

use crate::state::AppCore;
use banter_core::ledger::Balance;
use banter_core::ApiError;
use tauri::State;

/// The current balance (a due monthly reset is applied first).
#[tauri::command]
#[specta::specta]
pub async fn get_credits(core: State<'_, AppCore>) -> Result<Balance, ApiError> {
    Ok(core.get()?.balance().await?)
}
