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
APP = ROOT / "target" / "debug" / "banter"
MOCK = ROOT / "target" / "debug" / "mock-azure-openai"
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


@pytest.fixture(scope="session")
def mock_url():
    """The mock Azure OpenAI server, paced so a reply visibly streams."""
    assert MOCK.exists(), f"build it first: {MOCK}"
    proc = subprocess.Popen(
        [str(MOCK), "--port", "0", "--slow-ms", "15"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip() if proc.stdout else ""
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ")
    proc.terminate()
    proc.wait(timeout=10)


class App:
    """Launches the app (through tauri-driver) on one data directory."""

    def __init__(self, data_dir: Path, mock_url: str):
        self.data_dir = data_dir
        self.mock_url = mock_url
        self.driver: webdriver.Remote | None = None
        self.tauri_driver: subprocess.Popen | None = None

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
        )
        return env

    def launch(self) -> webdriver.Remote:
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


@pytest.fixture
def app(tmp_path, mock_url):
    assert APP.exists(), f"build it first: {APP}"
    the_app = App(tmp_path / "data", mock_url)
    yield the_app
    the_app.close()
