"""Two devices of one account: the real app signed in, and `banter-cli` on
a profile of its own (another data directory, as another computer) signed
in to the same account. What the terminal does appears in the app while it
runs, without touching it: the app follows the account's change feed.

`hosted-stack` runs Postgres, two banter-server instances, mock-oidc, mock
Azure and mock Autumn, and a throwaway Secret Service."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from conftest import CLI, SHOTS
from test_app import open_chat, use_main_window, wait_until
from test_hosted import HostedApp, Stack, register_browser, sign_in


@pytest.fixture(scope="module")
def stack():
    running = Stack()
    yield running
    running.stop()


class Terminal:
    """`banter-cli` on a profile of its own, with its tokens in the stack's
    keyring."""

    def __init__(self, data_dir: Path, stack: dict[str, str]):
        self.data_dir = data_dir
        self.stack = stack

    def env(self) -> dict[str, str]:
        import os

        env = dict(os.environ)
        env.pop("BANTER_KEYRING", None)
        env.pop("AZURE_OPENAI_ENDPOINT", None)
        env.update(
            BANTER_DATA_DIR=str(self.data_dir),
            DBUS_SESSION_BUS_ADDRESS=self.stack["DBUS_SESSION_BUS_ADDRESS"],
        )
        return env

    def run(self, *args: str):
        out = subprocess.run(
            [str(CLI), "--json", *args],
            env=self.env(), capture_output=True, text=True, timeout=60, check=True,
        )
        return json.loads(out.stdout)

    def sign_in(self, server: str) -> None:
        """`account login --no-browser`; the test is the browser: it opens
        the printed page, which mock-oidc answers by redirecting to the
        CLI's loopback listener (followed here)."""
        login = subprocess.Popen(
            [str(CLI), "account", "login", "--server", server, "--no-browser"],
            env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for line in login.stdout:
            if line.startswith("http"):
                url = line.strip()
                break
        else:
            raise AssertionError(f"no sign-in URL: {login.stderr.read()}")
        with urllib.request.urlopen(url, timeout=30) as landed:
            assert landed.status == 200, landed.status
        assert login.wait(timeout=60) == 0, login.stderr.read()


def session_titles(driver) -> list[str]:
    items = driver.find_elements(By.CSS_SELECTOR, "[data-testid=session-item]")
    return [item.get_attribute("textContent") for item in items]


def test_what_the_terminal_does_appears_in_the_running_app(tmp_path, mock_url, stack):
    data_dir = tmp_path / "data"
    register_browser(data_dir)
    app = HostedApp(data_dir, mock_url, stack.values)
    terminal = Terminal(tmp_path / "terminal", stack.values)
    try:
        driver = app.launch()
        use_main_window(driver)
        sign_in(driver, stack.values)
        open_chat(driver)

        # The terminal signs in to the same account (through the other
        # instance) and starts a conversation there.
        terminal.sign_in(stack.values["BANTER_SERVER_URL_B"])
        assert terminal.run("account", "status")["userId"], "signed in"
        sent = time.monotonic()
        terminal.run("chat", "hello from the terminal")
        wait_until(
            "the terminal's conversation in the app",
            lambda: any("hello from the terminal" in t for t in session_titles(driver)),
            timeout=30,
        )
        print(f"the terminal's conversation was listed in the app {time.monotonic() - sent:.2f} s after the send began")

        # Renamed in the terminal: the app's list follows.
        listed = terminal.run("sessions", "list")["sessions"]
        terminal.run("sessions", "rename", listed[0]["displayId"], "From the terminal")
        wait_until(
            "the new title in the app",
            lambda: any("From the terminal" in t for t in session_titles(driver)),
            timeout=30,
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / "app-synced-from-the-terminal.png"))

        # Deleted in the terminal: gone from the app.
        terminal.run("sessions", "delete", listed[0]["displayId"])
        wait_until(
            "the conversation gone from the app",
            lambda: not any("From the terminal" in t for t in session_titles(driver)),
            timeout=30,
        )
    finally:
        app.close()
