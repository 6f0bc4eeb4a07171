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
/// (Linux and Windows; macOS only ever takes it from `Info.plist`), unless
/// it is already registered for this very binary: nothing is rewritten at
/// every launch.
///
/// On a blocking thread, not at start-up's pace: the check asks the OS
/// (`xdg-mime` on Linux, the registry on Windows), and on Linux the plugin's
/// registration runs `update-desktop-database` and `xdg-mime`.
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
            if registered_for_this_binary(&app) {
                tracing::debug!("banter:// is already registered for this binary");
                return;
            }
            if let Err(error) = app.deep_link().register_all() {
                tracing::info!(%error, "could not register the banter:// scheme");
            }
        });
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
}

/// Whether the OS already opens `banter://` links with this binary.
/// Windows: the plugin compares the registered command with this binary.
/// Linux: the plugin only checks that the default handler is a desktop
/// file of this binary's name (`<name>-handler.desktop`), which another
/// build of the same name may have written, so its `Exec` line must also
/// name this binary (or this AppImage).
#[cfg(any(target_os = "linux", windows))]
fn registered_for_this_binary(app: &tauri::AppHandle) -> bool {
    use tauri_plugin_deep_link::DeepLinkExt;
    let default_handler = app
        .deep_link()
        .is_registered(banter_core::billing::deep_link::SCHEME)
        .unwrap_or(false);
    #[cfg(windows)]
    return default_handler;
    #[cfg(target_os = "linux")]
    {
        use tauri::Manager;
        let Ok(exe) = tauri::utils::platform::current_exe() else {
            return false;
        };
        let Some(name) = exe.file_name() else {
            return false;
        };
        let target = app
            .env()
            .appimage
            .unwrap_or_else(|| exe.clone().into_os_string());
        let Ok(applications) = app.path().data_dir().map(|dir| dir.join("applications")) else {
            return false;
        };
        let desktop_file = applications.join(format!("{}-handler.desktop", name.to_string_lossy()));
        default_handler
            && std::fs::read_to_string(desktop_file)
                .is_ok_and(|entry| exec_names(&entry, &target.to_string_lossy()))
    }
}

/// Whether a desktop entry's `Exec` line runs `program` (as the plugin
/// writes it: the path in double quotes, then `%u`).
#[cfg(any(target_os = "linux", test))]
fn exec_names(entry: &str, program: &str) -> bool {
    entry
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Exec="))
        .any(|exec| exec.trim() == format!("\"{program}\" %u"))
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

    #[test]
    fn a_handler_counts_only_if_it_runs_this_very_binary() {
        let entry = "[Desktop Entry]\nType=Application\nName=banter\n\
                     Exec=\"/opt/a/banter\" %u\nMimeType=x-scheme-handler/banter\n";
        assert!(exec_names(entry, "/opt/a/banter"));
        assert!(!exec_names(entry, "/opt/b/banter"));
        assert!(!exec_names(entry, "/opt/a/banter-old"));
        assert!(!exec_names(
            "[Desktop Entry]\nName=banter\n",
            "/opt/a/banter"
        ));
    }
}
