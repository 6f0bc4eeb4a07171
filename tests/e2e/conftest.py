"""The real Banter app under Xvfb, driven over WebDriver.

`tauri-driver` (crates.io) sits between Selenium and Debian's
`WebKitWebDriver`; it launches `target/debug/banter`, which talks to
`mock-azure-openai` on 127.0.0.1. Each test gets a fresh data directory;
`launch()` may be called again on the same directory to test a restart.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
# Where `make build` put the binaries: cargo's CARGO_TARGET_DIR, as the Makefile's BIN.
BIN = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "debug"
APP = BIN / "banter"
MOCK = BIN / "mock-azure-openai"
MOCK_AUTUMN = BIN / "mock-autumn"
CLI = BIN / "banter-cli"
AUTUMN_KEY = "am_sk_test_mock"
SHOTS = ROOT / "target" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port}")


def serve(*command: str):
    """Starts a mock that prints `listening on URL`; yields the URL."""
    assert Path(command[0]).exists(), f"build it first: {command[0]}"
    proc = subprocess.Popen(list(command), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip() if proc.stdout else ""
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def mock_url():
    """The mock Azure OpenAI server, paced so a reply visibly streams."""
    yield from serve(str(MOCK), "--port", "0", "--slow-ms", "15")


@pytest.fixture(scope="session")
def autumn_url():
    """The mock Autumn server; the payment shows up 500 ms after paying."""
    yield from serve(str(MOCK_AUTUMN), "--port", "0", "--payment-lag-ms", "500")


class App:
    """Launches the app (through tauri-driver) on one data directory."""

    def __init__(self, data_dir: Path, mock_url: str, autumn_url: str | None = None):
        self.data_dir = data_dir
        self.mock_url = mock_url
        self.autumn_url = autumn_url
        self.driver: webdriver.Remote | None = None
        self.tauri_driver: subprocess.Popen | None = None
        # More environment for the next launch (e.g. GTK_THEME to force dark).
        self.extra_env: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            AZURE_OPENAI_ENDPOINT=self.mock_url,
            AZURE_OPENAI_DEPLOYMENT="o3-mini-slow",
            AZURE_OPENAI_KEY="test-key",
            AZURE_OPENAI_API_VERSION="2025-04-01-preview",
            BANTER_DATA_DIR=str(self.data_dir),
            BANTER_KEYRING="off",
            RUST_LOG="info",
            # Everything the app and WebKit keep outside Banter's database
            # (UI preferences, window state, web storage) stays with this
            # test too, so no test starts where another left off.
            XDG_DATA_HOME=str(self.data_dir / "xdg-data"),
            XDG_CONFIG_HOME=str(self.data_dir / "xdg-config"),
            XDG_CACHE_HOME=str(self.data_dir / "xdg-cache"),
        )
        if self.autumn_url:
            env.update(AUTUMN_API_URL=self.autumn_url, AUTUMN_SECRET_KEY=AUTUMN_KEY)
        env.update(self.extra_env)
        return env

    def launch(self, attempts: int = 6) -> webdriver.Remote:
        """Starts the app. tauri-driver connects to WebKitWebDriver as soon
        as it spawns it and gives up if that is not listening yet (seen on a
        loaded 2-core machine: three quick tries in a row all refused), so a
        refused session is retried afresh, waiting longer each time."""
        for attempt in range(1, attempts + 1):
            try:
                return self._launch_once()
            except Exception:  # noqa: BLE001 — the session never started
                self.close()
                if attempt == attempts:
                    raise
                time.sleep(attempt)
        raise AssertionError("unreachable")

    def _launch_once(self) -> webdriver.Remote:
        self.close()
        port, native = free_port(), free_port()
        driver_bin = shutil.which("tauri-driver") or str(Path.home() / ".cargo/bin/tauri-driver")
        self.tauri_driver = subprocess.Popen(
            [driver_bin, "--port", str(port), "--native-port", str(native)],
            env=self.env(),
        )
        wait_for_port(port)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(APP)})
        self.driver = webdriver.Remote(f"http://127.0.0.1:{port}", options=options)
        self.driver.implicitly_wait(0)
        return self.driver

    def close(self) -> None:
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception:  # the app may already be gone
                pass
            self.driver = None
        if self.tauri_driver is not None:
            self.tauri_driver.terminate()
            try:
                self.tauri_driver.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.tauri_driver.kill()
            self.tauri_driver = None
        wait_until_gone(APP)


def app_pids(app: Path) -> list[int]:
    # The app's own path, then an argument or nothing: not banter-server or
    # banter-cli, which share its prefix (and may be running for a test).
    out = subprocess.run(["pgrep", "-f", f"^{app}( |$)"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def wait_until_gone(app: Path, timeout: float = 10.0) -> None:
    """Banter is single-instance: the next launch must not find this one
    still exiting, or it would hand its arguments over and quit."""
    deadline = time.monotonic() + timeout
    while app_pids(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in app_pids(app):
        os.kill(pid, 9)


@pytest.fixture
def app(tmp_path, mock_url, autumn_url):
    assert APP.exists(), f"build it first: {APP}"
    the_app = App(tmp_path / "data", mock_url, autumn_url)
    yield the_app
    the_app.close()
