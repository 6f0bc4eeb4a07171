//! Asking the manifest and verifying the artifact, with the plugin.

use super::policy::{allowed, checked_url, UpdateError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Error as PluginError, Update, UpdaterExt};

/// The environment variable that overrides the configured manifest address.
pub const UPDATE_URL_ENV: &str = "BANTER_UPDATE_URL";

/// A newer version the manifest offers, as the UI shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    /// The release notes the manifest carries, if any.
    pub notes: Option<String>,
    /// When the manifest says the version was published, if it does.
    pub date: Option<DateTime<Utc>>,
}

/// What a check found.
pub enum CheckOutcome {
    /// A newer version, not yet downloaded.
    Offered(UpdateOffer, Box<Update>),
    /// The manifest names this version or an older one (a downgrade is
    /// never offered).
    NotNewer { offered: String, current: String },
    /// The server said there is nothing (204).
    NoUpdate,
}

impl std::fmt::Debug for CheckOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Offered(offer, _) => f.debug_tuple("Offered").field(offer).finish(),
            Self::NotNewer { offered, current } => f
                .debug_struct("NotNewer")
                .field("offered", offered)
                .field("current", current)
                .finish(),
            Self::NoUpdate => f.write_str("NoUpdate"),
        }
    }
}

/// The manifest address in force: [`UPDATE_URL_ENV`] when set and not
/// blank, else the configured one.
pub fn manifest_address<'a>(
    from_env: Option<&'a str>,
    configured: Option<&'a str>,
) -> Result<&'a str, UpdateError> {
    from_env
        .filter(|s| !s.trim().is_empty())
        .or(configured)
        .ok_or(UpdateError::NotConfigured)
}

/// The first of `plugins.updater.endpoints` in the app's configuration
/// (`tauri.conf.json`), if any.
pub fn configured_endpoint(config: &tauri::Config) -> Option<String> {
    config
        .plugins
        .0
        .get("updater")?
        .get("endpoints")?
        .get(0)?
        .as_str()
        .map(str::to_string)
}

/// One manifest address and the app's updater.
pub struct UpdateChecker<R: Runtime> {
    app: AppHandle<R>,
    manifest: tauri::Url,
    /// The installed app an update replaces; `None`: this executable.
    installed: Option<std::path::PathBuf>,
}

impl<R: Runtime> UpdateChecker<R> {
    /// The address from [`UPDATE_URL_ENV`], else the configured one.
    pub fn from_config(app: &AppHandle<R>, configured: Option<&str>) -> Result<Self, UpdateError> {
        let from_env = std::env::var(UPDATE_URL_ENV).ok();
        Self::new(app, manifest_address(from_env.as_deref(), configured)?)
    }

    /// Refuses an address the transport rule does not allow before any
    /// request is made.
    pub fn new(app: &AppHandle<R>, manifest: &str) -> Result<Self, UpdateError> {
        Ok(Self {
            app: app.clone(),
            manifest: checked_url(manifest)?,
            installed: None,
        })
    }

    /// Installs over `executable` instead of this process's own file (the
    /// tests install into a copy, never over the test binary).
    #[cfg(test)]
    pub fn replacing(mut self, executable: std::path::PathBuf) -> Self {
        self.installed = Some(executable);
        self
    }

    /// Asks the manifest. A newer version is offered only if its artifact
    /// address also passes the transport rule.
    pub async fn check(&self) -> Result<CheckOutcome, UpdateError> {
        let seen = Arc::new(Mutex::new(None::<String>));
        let seen_in = seen.clone();
        let mut builder = self.app.updater_builder();
        if let Some(installed) = &self.installed {
            builder = builder.executable_path(installed);
        }
        let updater = builder
            .endpoints(vec![self.manifest.clone()])
            .and_then(|builder| {
                builder
                    .version_comparator(move |current, remote| {
                        if let Ok(mut seen) = seen_in.lock() {
                            *seen = Some(remote.version.to_string());
                        }
                        remote.version > current
                    })
                    .build()
            })
            .map_err(unavailable)?;
        let current = self.app.package_info().version.to_string();
        match updater.check().await.map_err(unavailable)? {
            Some(update) => {
                allowed(update.download_url.clone())?;
                let offer = UpdateOffer {
                    version: update.version.clone(),
                    current_version: update.current_version.clone(),
                    notes: update.body.clone(),
                    date: update
                        .date
                        .and_then(|date| DateTime::from_timestamp(date.unix_timestamp(), 0)),
                };
                Ok(CheckOutcome::Offered(offer, Box::new(update)))
            }
            None => {
                let offered = seen.lock().ok().and_then(|seen| seen.clone());
                Ok(match offered {
                    Some(offered) => CheckOutcome::NotNewer { offered, current },
                    None => CheckOutcome::NoUpdate,
                })
            }
        }
    }
}

/// Downloads the offered artifact and verifies it against the app's key
/// (the plugin checks the minisign signature and the version signed into
/// it); the bytes are returned only when both hold.
pub async fn download_verified(update: &Update) -> Result<Vec<u8>, UpdateError> {
    update
        .download(|_, _| {}, || {})
        .await
        .map_err(|error| signature_or(error, unavailable))
}

fn unavailable(error: PluginError) -> UpdateError {
    UpdateError::Unavailable(error.to_string())
}

/// Installs bytes [`download_verified`] returned (the plugin verifies them
/// once more first). On Linux it replaces the AppImage in place or installs
/// the `.deb` through `pkexec`; on Windows it runs the installer, which
/// exits this app; on macOS it replaces the `.app`. Blocking: run it off
/// the async runtime.
pub fn install_verified(update: &Update, bytes: &[u8]) -> Result<(), UpdateError> {
    update
        .install(bytes)
        .map_err(|error| signature_or(error, |other| UpdateError::InstallFailed(other.to_string())))
}

/// A signature failure as [`UpdateError::BadSignature`]; any other error
/// as `otherwise` makes it.
fn signature_or(error: PluginError, otherwise: fn(PluginError) -> UpdateError) -> UpdateError {
    match error {
        PluginError::Minisign(_)
        | PluginError::Base64(_)
        | PluginError::SignatureUtf8(_)
        | PluginError::SignedVersionMismatch { .. }
        | PluginError::MissingSignedVersion => UpdateError::BadSignature {
            reason: error.to_string(),
        },
        other => otherwise(other),
    }
}
