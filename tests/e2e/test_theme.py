"""Dark mode and quick chat's way to the main window, in the real app.

How the system's light or dark is forced here: WebKitGTK answers
`prefers-color-scheme: dark` when GTK asks for a dark theme, and GTK reads
`GTK_THEME=<theme>:<variant>` from the environment, so `Adwaita:dark` makes
the app's webviews see a dark system and plain `Adwaita` a light one,
whatever this machine's own desktop says. The app is launched with it
through tauri-driver (see `App.extra_env`).
"""

from __future__ import annotations

import json
from pathlib import Path

from selenium.webdriver.common.by import By

from conftest import SHOTS
from test_app import badge, open_quick_chat, use_main_window, wait_until

# theme.css's page backgrounds (--bg), as the webview computes them.
DARK_BG = "rgb(13, 17, 23)"
LIGHT_BG = "rgb(249, 250, 251)"

THEME_STATE = """
return {
  system: matchMedia("(prefers-color-scheme: dark)").matches,
  theme: document.documentElement.dataset.theme || null,
  background: getComputedStyle(document.documentElement).backgroundColor,
};
"""

# Calls a command as the page's own code would (Tauri's IPC, with this
# window's capability); answers "ok" or the refusal.
INVOKE = """
const [command, args, done] = arguments;
window.__TAURI_INTERNALS__.invoke(command, args)
  .then(() => done("ok"), (error) => done(typeof error === "string" ? error : JSON.stringify(error)));
"""


# WebKit takes a screenshot at the page's next paint, and an idle page (no
# caret blinking, nothing moving) may not paint again: the screenshot then
# waits forever (seen here on the dashboard and Settings). A few frames of
# an invisible change give it that paint.
REPAINT = """
const until = performance.now() + 3000;
const root = document.documentElement;
const tick = () => {
  root.style.opacity = root.style.opacity === "0.999" ? "" : "0.999";
  if (performance.now() < until) requestAnimationFrame(tick);
  else root.style.opacity = "";
};
requestAnimationFrame(tick);
"""


def screenshot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script(REPAINT)
    driver.save_screenshot(str(SHOTS / name))


def theme_state(driver) -> dict:
    return driver.execute_script(THEME_STATE)


def open_nav(driver, label: str) -> None:
    wait_until(
        f"the {label} link",
        lambda: driver.find_element(By.XPATH, f"//nav//a[contains(., '{label}')]"),
    ).click()


def preferences_file(app) -> Path:
    """tauri-plugin-store's file, in the app's data folder under this test's XDG_DATA_HOME."""
    return app.data_dir / "xdg-data" / "app.banter.desktop" / "preferences.json"


def test_dark_mode_follows_a_forced_system_preference(app):
    app.extra_env["GTK_THEME"] = "Adwaita:dark"
    driver = app.launch()
    use_main_window(driver)
    main = driver.current_window_handle
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    assert theme_state(driver) == {"system": True, "theme": "dark", "background": DARK_BG}
    screenshot(driver, "app-dark-dashboard.png")

    # Settings says why: System, and dark now.
    open_nav(driver, "Settings")
    note = wait_until("the theme note", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=theme-note]"))
    assert "(dark now)" in note.get_attribute("textContent")
    assert driver.find_element(By.CSS_SELECTOR, "[data-testid=theme-system]").is_selected()
    screenshot(driver, "app-dark-settings.png")

    # The quick-chat window is dark too.
    open_nav(driver, "Dashboard")
    open_quick_chat(driver, main)
    wait_until("quick chat's message box", lambda: driver.find_element(By.TAG_NAME, "textarea"))
    assert theme_state(driver) == {"system": True, "theme": "dark", "background": DARK_BG}
    screenshot(driver, "app-dark-quick-chat.png")


def test_settings_overrides_a_light_system_and_keeps_the_choice(app):
    # Light, whatever this machine's desktop says.
    app.extra_env["GTK_THEME"] = "Adwaita"
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    assert theme_state(driver) == {"system": False, "theme": "light", "background": LIGHT_BG}

    open_nav(driver, "Settings")
    wait_until("the Dark choice", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=theme-dark]")).click()
    wait_until("the dark theme", lambda: theme_state(driver)["theme"] == "dark")
    assert theme_state(driver) == {"system": False, "theme": "dark", "background": DARK_BG}

    # Saved with the device preferences (the store plugin's file) …
    saved = preferences_file(app)
    wait_until("the saved choice", lambda: saved.exists() and json.loads(saved.read_text()).get("theme") == "dark")

    # … and in force after a restart, though the system is still light.
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100 after restart", lambda: "100" in badge(driver))
    assert theme_state(driver) == {"system": False, "theme": "dark", "background": DARK_BG}

    # Back to System: light again.
    open_nav(driver, "Settings")
    wait_until("the System choice", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=theme-system]")).click()
    wait_until("the light theme", lambda: theme_state(driver)["theme"] == "light")
    wait_until("the saved System choice", lambda: json.loads(saved.read_text()).get("theme") == "system")


def test_quick_chat_opens_pricing_in_the_main_window_and_may_open_links(app):
    driver = app.launch()
    use_main_window(driver)
    main = driver.current_window_handle
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    open_quick_chat(driver, main)
    quick = driver.current_window_handle
    wait_until("quick chat's message box", lambda: driver.find_element(By.TAG_NAME, "textarea"))

    # What "Buy more" calls: the shell shows the main window on Pricing.
    assert driver.execute_async_script(INVOKE, "show_main_screen", {"screen": "pricing"}) == "ok"
    driver.switch_to.window(main)
    wait_until("Pricing in the main window", lambda: driver.current_url.endswith("#/pricing"))
    wait_until("the products", lambda: driver.find_elements(By.CSS_SELECTOR, "[data-testid=product]"))

    # Quick chat may use the checked opener: a link it must not open is
    # refused by the core's scheme check, not by the window's permissions.
    driver.switch_to.window(quick)
    refusal = json.loads(driver.execute_async_script(INVOKE, "open_link", {"url": "javascript:alert(1)"}))
    assert refusal["code"] == "invalid_input", refusal
    assert "only http, https and mailto" in refusal["message"]
    # Settings stay the main window's.
    denied = driver.execute_async_script(INVOKE, "get_provider_settings", {})
    assert "not allowed" in denied, denied
