//! Links in replies open in the system browser, never in the app's webview.

use banter_core::validate::external_link;
use banter_core::{ApiError, ErrorCode};
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

/// Opens an http, https or mailto link in the system's default app; any
/// other scheme (`javascript:`, `file:`, `banter:`…) is refused.
#[tauri::command]
#[specta::specta]
pub fn open_link(app: AppHandle, url: String) -> Result<(), ApiError> {
    let url = external_link(&url).map_err(|e| banter_core::Error::from(e).to_api())?;
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        ApiError::new(
            ErrorCode::OpenFailed,
            format!("could not open the link: {e}"),
        )
    })
}
