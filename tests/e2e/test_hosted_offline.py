"""The real app signed in, losing its network: the history it has read stays
readable from this computer's copy (after a restart too), the Offline chip
says so, a send is refused with the `offline` error and charges nothing,
and with the network back the same conversation goes on.

The network is `hosted-stack`'s gateway in front of the server, taken down
and brought back through the stack's standard input."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import SHOTS
from test_app import badge, open_chat, page_text, use_main_window, wait_until
from test_hosted import HostedApp, Stack, open_settings, register_browser, sign_in


@pytest.fixture(scope="module")
def stack():
    running = Stack()
    yield running
    running.stop()


def offline_chip(driver):
    return driver.find_elements(By.CSS_SELECTOR, "[data-testid=offline-chip]")


def send(driver, text: str) -> None:
    box = wait_until("the message box", lambda: driver.find_element(By.TAG_NAME, "textarea"))
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_history_stays_readable_offline_and_sending_waits_for_the_server(tmp_path, mock_url, stack):
    data_dir = tmp_path / "data"
    register_browser(data_dir)
    app = HostedApp(data_dir, mock_url, stack.values)
    try:
        driver = app.launch()
        use_main_window(driver)
        sign_in(driver, stack.values)
        open_chat(driver)
        send(driver, "remember Lisbon")
        wait_until("the reply", lambda: "Mock reply to: remember Lisbon" in page_text(driver), timeout=60)
        # The balance moves when the server charges, as the reply starts
        # (the change feed says so): the reply's end is the Stop button going.
        wait_until("the reply's end", lambda: not driver.find_elements(By.CSS_SELECTOR, "[data-testid=stop]"), timeout=60)
        wait_until("the server's balance of 97", lambda: "97" in badge(driver))
        assert not offline_chip(driver)

        # The network goes; the app starts again without it.
        stack.network(False)
        driver = app.launch()
        use_main_window(driver)
        wait_until("the Offline chip", lambda: offline_chip(driver))
        open_chat(driver)
        wait_until(
            "the session from this computer's copy",
            lambda: driver.find_element(By.XPATH, "//*[@data-testid='session-item'][contains(., 'remember Lisbon')]"),
        ).click()
        wait_until("the saved reply", lambda: "Mock reply to: remember Lisbon" in page_text(driver))
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / "app-hosted-offline.png"))

        # Sending needs the server: refused, said so, nothing charged.
        send(driver, "and Porto?")
        wait_until("the offline error", lambda: "the Banter server cannot be reached" in page_text(driver))
        assert "Mock reply to: and Porto?" not in page_text(driver)
        box = driver.find_element(By.TAG_NAME, "textarea")
        wait_until("the draft given back", lambda: box.get_attribute("value") == "and Porto?")

        # The network is back: the same message goes, charged once.
        stack.network(True)
        box.send_keys(Keys.ENTER)
        wait_until("the reply", lambda: "Mock reply to: and Porto?" in page_text(driver), timeout=60)
        wait_until("the server's balance of 94", lambda: "94" in badge(driver))
        wait_until("the Offline chip gone", lambda: not offline_chip(driver))

        # Offline again, signing out: the server cannot be told, so the app
        # offers to forget the sign-in on this computer only.
        stack.network(False)
        open_settings(driver)
        wait_until("the sign-out button", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-out]")).click()
        def offer():
            button = driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-out-here-only]")
            return button if button.is_enabled() else None

        wait_until("the offer, once the sign-out has failed", offer).click()
        wait_until("the sign-in form", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-in-form]"))
        wait_until("the local balance", lambda: "100" in badge(driver))
        assert not offline_chip(driver)
    finally:
        app.close()
