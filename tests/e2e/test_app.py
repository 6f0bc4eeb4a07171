"""The real app end to end: launch, send "hello", watch the reply stream in,
see the balance go 100 → 97, restart and find the conversation again."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from conftest import SHOTS

TIMEOUT = 30.0


def wait_until(what, check, timeout: float = TIMEOUT):
    """Polls `check` until it returns something truthy; fails with `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as error:  # the page may be mid-render
            last = error
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def use_main_window(driver: WebDriver) -> None:
    """The app has two webviews (main and the hidden quick chat)."""

    def found():
        for handle in driver.window_handles:
            driver.switch_to.window(handle)
            if "window=quick" not in driver.current_url:
                return True
        return False

    wait_until("the main window", found)


def page_text(driver: WebDriver) -> str:
    # textContent, not WebDriver's visible text: WebKitWebDriver leaves out
    # some ellipsised flex items that are plainly on screen.
    return driver.execute_script("return document.body.textContent")


def badge(driver: WebDriver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=credit-badge]").text


def open_chat(driver: WebDriver) -> None:
    link = wait_until(
        "the Chat AI link",
        lambda: driver.find_element(By.XPATH, "//nav//*[self::a or self::button][contains(., 'Chat AI')]"),
    )
    link.click()
    wait_until("the message box", lambda: driver.find_element(By.TAG_NAME, "textarea"))


def open_quick_chat(driver: WebDriver, main: str) -> str:
    """Opens the quick-chat window from the main one and switches to it."""
    wait_until(
        "the floating window button",
        lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=open-quick-window]"),
    ).click()
    quick = wait_until(
        "the quick-chat window",
        lambda: next((h for h in driver.window_handles if h != main), None),
    )
    driver.switch_to.window(quick)
    return quick


def test_send_hello_stream_charge_and_find_it_after_a_restart(app):
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    open_chat(driver)

    box = driver.find_element(By.TAG_NAME, "textarea")
    box.send_keys("hello")
    box.send_keys(Keys.ENTER)

    # The reply streams in: seen part-way before it is whole (200 paced words).
    def partial_reply():
        text = page_text(driver)
        return text if "Mock reply to: hello word1" in text else None

    partial = wait_until("the first words of the reply", partial_reply)
    assert "word200" not in partial, "the reply arrived all at once"
    wait_until("the whole reply", lambda: "word200" in page_text(driver))
    wait_until("a balance of 97", lambda: "97" in badge(driver))
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "app-chat-after-hello.png"))

    # Restart on the same data: the conversation and the balance are there.
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 97 after restart", lambda: "97" in badge(driver))
    open_chat(driver)
    session = wait_until(
        "the session titled hello",
        lambda: driver.find_element(By.XPATH, "//*[@data-testid='session-item'][contains(., 'hello')]"),
    )
    session.click()
    wait_until("the saved reply", lambda: "Mock reply to: hello word1" in page_text(driver))
    assert "word200" in page_text(driver)


def test_quick_chat_window_sends_into_the_shared_history(app):
    driver = app.launch()
    use_main_window(driver)
    main = driver.current_window_handle
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    open_quick_chat(driver, main)
    assert "window=quick" in driver.current_url
    box = wait_until("the quick-chat box", lambda: driver.find_element(By.TAG_NAME, "textarea"))
    box.send_keys("hi from quick chat")
    box.send_keys(Keys.ENTER)
    wait_until("the reply in quick chat", lambda: "word200" in page_text(driver))
    wait_until("quick chat's balance", lambda: "97" in badge(driver))
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "app-quick-chat.png"))

    # The main window followed along: same balance, the session in its history.
    driver.switch_to.window(main)
    wait_until("the main window's balance", lambda: "97" in badge(driver))
    wait_until("the quick chat in recent chats", lambda: "hi from quick chat" in page_text(driver))



# Counts, in one window, the reply deltas it gets as app-wide core events,
# listened to on the window's own target as the UI does. (The deltas of a
# window's own send come over that send's channel, which a page script cannot
# observe: Tauri's IPC internals are read-only. The core's tests count those.)
COUNT_CORE_DELTAS = """
const [label, done] = arguments;
const tauri = window.__TAURI_INTERNALS__;
const counts = (window.__deltaCounts = { deltas: 0, text: "" });
const handler = tauri.transformCallback((event) => {
  if (event.payload.type === "reply_delta") { counts.deltas += 1; counts.text += event.payload.delta; }
});
tauri.invoke("plugin:event|listen", { event: "core-event", target: { kind: "WebviewWindow", label }, handler })
  .then(() => done(true), (e) => done(String(e)));
"""


def test_a_reply_reaches_the_sending_window_once_and_the_others_as_events(app):
    # The window that sends gets its reply over its own channel and no
    # second copy as core events; another window gets every delta once.
    driver = app.launch()
    use_main_window(driver)
    main = driver.current_window_handle
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    assert driver.execute_async_script(COUNT_CORE_DELTAS, "main") is True
    open_quick_chat(driver, main)
    box = wait_until("the quick-chat box", lambda: driver.find_element(By.TAG_NAME, "textarea"))
    assert driver.execute_async_script(COUNT_CORE_DELTAS, "quick-chat") is True
    box.send_keys("count the deltas")
    box.send_keys(Keys.ENTER)
    wait_until("the whole reply in quick chat", lambda: "word200" in page_text(driver))
    wait_until("quick chat's balance", lambda: "97" in badge(driver))
    sender = driver.execute_script("return window.__deltaCounts")
    assert sender == {"deltas": 0, "text": ""}, "the sending window got its reply twice"

    driver.switch_to.window(main)

    def whole_reply():
        counts = driver.execute_script("return window.__deltaCounts")
        if "word200" not in counts["text"]:
            raise AssertionError(f"so far: {counts['deltas']} deltas")
        return counts

    watcher = wait_until("every delta in the main window", whole_reply)
    words = watcher["text"].split()
    assert watcher["text"].startswith("Mock reply to: count the deltas word1 ")
    assert words[-200:] == [f"word{i}" for i in range(1, 201)], "each delta once, in order"
    assert watcher["deltas"] > 1, watcher
