//! The core as managed Tauri state. If the database cannot be opened the app
//! still starts, and every command answers with the typed error, so the
//! window can say what is wrong instead of silently starting empty.
//!
//! The core is opened off the main thread while the window loads its page
//! (`lib.rs` starts it): opening (the database, its migration check, crash
//! recovery, the model's key from the keyring) no longer holds up the first
//! paint. A command that arrives before it is open waits for it.

use banter_core::{ApiError, Core, CoreOptions};
use tauri::AppHandle;
use tokio::sync::OnceCell;

pub struct AppCore {
    opened: OnceCell<Result<Core, ApiError>>,
    app: AppHandle,
}

impl AppCore {
    /// Not opened yet: the first [`Self::get`] opens it.
    pub fn new(app: AppHandle) -> Self {
        Self {
            opened: OnceCell::new(),
            app,
        }
    }

    /// The core, opened by the first caller (the others wait for that open).
    pub async fn get(&self) -> Result<&Core, ApiError> {
        self.opened
            .get_or_init(|| open(&self.app))
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The core if it has finished opening, without waiting.
    pub fn ready(&self) -> Option<Result<&Core, ApiError>> {
        self.opened
            .get()
            .map(|opened| opened.as_ref().map_err(Clone::clone))
    }
}

/// Opens the profile in `BANTER_DATA_DIR` or the OS data directory. The
/// core's events reach the windows from before any command can use it.
async fn open(app: &AppHandle) -> Result<Core, ApiError> {
    let started = std::time::Instant::now();
    let opened = async {
        let core = Core::open(CoreOptions::default()).await?;
        crate::events::forward(app.clone(), &core);
        if let Err(error) = core.use_configured_provider().await {
            tracing::info!(code = %error.code(), "no chat model configured yet");
        }
        Ok::<_, banter_core::Error>(core)
    }
    .await;
    match &opened {
        Err(error) => {
            tracing::error!(code = %error.code(), %error, "could not open the Banter database")
        }
        Ok(core) => tracing::info!(
            model = ?core.chat_engine().provider_label(),
            open_ms = started.elapsed().as_millis(),
            "core open"
        ),
    }
    opened.map_err(ApiError::from)
}
