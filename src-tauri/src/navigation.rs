//! The webview stays home: every window may navigate only within the app's
//! own origin. A link in a reply that slipped past the UI's click handler
//! (`ui/src/lib/linkGuard.ts`), a `location` change or a form would
//! otherwise load a remote page inside a window that can call Banter's
//! commands. External links go through `open_link` to the system browser.

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Url};

/// A plugin whose navigation hook applies to every webview of the app,
/// those declared in `tauri.conf.json` and those created in code.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_app_origin(url);
            if !allowed {
                // Scheme and host only: the rest of a URL may carry data.
                tracing::debug!(
                    scheme = url.scheme(),
                    host = url.host_str().unwrap_or(""),
                    "navigation away from the app refused"
                );
            }
            allowed
        })
        .build()
}

/// True for the app's own pages as each platform serves them: the
/// `tauri://localhost` custom protocol (Linux, macOS) and
/// `http(s)://tauri.localhost` (Windows, Android). `about:blank` is what a
/// new webview starts on. Nothing else, not even other loopback pages.
pub fn is_app_origin(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        "about" => url.path() == "blank",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_app_origin;
    use tauri::Url;

    fn allowed(url: &str) -> bool {
        is_app_origin(&Url::parse(url).expect("a URL"))
    }

    #[test]
    fn only_the_apps_own_pages_load() {
        for ok in [
            "tauri://localhost",
            "tauri://localhost/index.html#/chat",
            "http://tauri.localhost/",
            "https://tauri.localhost/quick.html",
            "about:blank",
        ] {
            assert!(allowed(ok), "{ok}");
        }
        for refused in [
            "https://example.com/",
            "http://localhost:1420/",
            "http://127.0.0.1/",
            "tauri://evil.test/",
            "http://tauri.localhost.evil.test/",
            "http://tauri.localhost:8080/",
            "https://user@tauri.localhost.evil.test/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,<script>x</script>",
            "banter://purchase/complete",
            "about:srcdoc",
        ] {
            assert!(!allowed(refused), "{refused}");
        }
    }
}
