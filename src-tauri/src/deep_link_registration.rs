//! Who registers the `banter://` scheme with the OS.
//!
//! An installer does: the scheme is declared in `tauri.conf.json`
//! (`plugins.deep-link.desktop.schemes`), and the bundler turns that into a
//! `MimeType=x-scheme-handler/banter` line in the `.deb`/`.rpm`'s `.desktop`
//! file, registry keys written by the NSIS and MSI installers (and removed
//! by their uninstallers), and `CFBundleURLTypes` in the macOS `Info.plist`.
//! So an installed app never registers anything itself: doing it at every
//! start would write a second handler into the user's home that outlives
//! uninstalling the package.
//!
//! A binary nothing installed — `cargo build`, `make run`, the tests — has
//! no installer behind it, so it registers itself at start, as does an
//! AppImage, which is run from wherever the user saved it and installs
//! nothing. Which case applies is read from the bundle type the Tauri
//! bundler writes into the binary it packages
//! ([`tauri::utils::platform::bundle_type`]), so a debug build packaged as a
//! `.deb` behaves exactly like the release one.

use tauri::utils::config::BundleType;

/// True when this binary must register the scheme at start-up: it came
/// from no installer (`None`), or from an AppImage.
pub fn registers_at_runtime(bundle: Option<&BundleType>) -> bool {
    matches!(bundle, None | Some(BundleType::AppImage))
}

/// Registers the scheme for a binary no installer registered it for
/// (Linux and Windows; macOS only ever takes it from `Info.plist`).
///
/// On a blocking thread, not at start-up's pace: on Linux the plugin runs
/// `update-desktop-database` and `xdg-mime` (a shell script) at every
/// call, even when the handler's `.desktop` file is already as it should be
/// (that file itself is only rewritten when it differs).
pub fn register_if_uninstalled(app: &tauri::AppHandle) {
    let bundle = tauri::utils::platform::bundle_type();
    if !registers_at_runtime(bundle.as_ref()) {
        tracing::debug!(?bundle, "banter:// is registered by the installer");
        return;
    }
    #[cfg(any(target_os = "linux", windows))]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        let app = app.clone();
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(error) = app.deep_link().register_all() {
                tracing::info!(%error, "could not register the banter:// scheme");
            }
        });
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_binaries_no_package_manager_installed_register_themselves() {
        assert!(registers_at_runtime(None));
        assert!(registers_at_runtime(Some(&BundleType::AppImage)));
        for installed in [
            BundleType::Deb,
            BundleType::Rpm,
            BundleType::Msi,
            BundleType::Nsis,
            BundleType::App,
            BundleType::Dmg,
        ] {
            assert!(!registers_at_runtime(Some(&installed)), "{installed:?}");
        }
    }
}
