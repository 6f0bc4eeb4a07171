//! The core as managed Tauri state. If the database cannot be opened the app
//! still starts, and every command answers with the typed error, so the
//! window can say what is wrong instead of silently starting empty.

use banter_core::{ApiError, Core, CoreOptions};

pub struct AppCore(Result<Core, ApiError>);

impl AppCore {
    /// Opens the profile in `BANTER_DATA_DIR` or the OS data directory.
    pub fn open() -> Self {
        let opened = tauri::async_runtime::block_on(async {
            let core = Core::open(CoreOptions::default()).await?;
            if let Err(error) = core.use_configured_provider().await {
                tracing::info!(code = %error.code(), "no chat model configured yet");
            }
            Ok::<_, banter_core::Error>(core)
        });
        match &opened {
            Err(error) => {
                tracing::error!(code = %error.code(), %error, "could not open the Banter database")
            }
            Ok(core) => tracing::info!(model = ?core.chat_engine().provider_label(), "chat model"),
        }
        Self(opened.map_err(ApiError::from))
    }

    pub fn get(&self) -> Result<&Core, ApiError> {
        self.0.as_ref().map_err(Clone::clone)
    }
}
