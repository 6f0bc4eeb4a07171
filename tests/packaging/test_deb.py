"""The `.deb` as a user gets it: installed with `dpkg -i`, launched from
/usr/bin under Xvfb, reached through the `banter://` handler its `.desktop`
file declares (`gio open`, as a browser hands a link to the desktop), and
uninstalled with `dpkg -r`, which takes the handler with it.

Run by `make test-deb` (inside `dbus-run-session` and `xvfb-run`, which
single-instance forwarding needs) with BANTER_DEB naming the package and
BANTER_BIN_DIR the debug build (for mock-autumn and banter-cli). Installs
system-wide, so it needs root (or password-less sudo), and it refuses to run
where a `banter` package is already installed rather than replace it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("BANTER_BIN_DIR", ROOT / "target" / "debug"))
DEB = os.environ.get("BANTER_DEB", "")
PACKAGE = "banter"
INSTALLED_APP = Path("/usr/bin/banter")
DESKTOP_FILE = Path("/usr/share/applications/Banter.desktop")
SCHEME_MIME = "x-scheme-handler/banter"
AUTUMN_KEY = "am_sk_test_mock"
# The app's log is coloured; the test reads it as text.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def root_command(*args: str) -> list[str]:
    return list(args) if os.geteuid() == 0 else ["sudo", "-n", *args]


def installed() -> bool:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True, text=True
    )
    return "ok installed" in out.stdout


def wait_for(what: str, check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def pay(url: str) -> str:
    """Pays on mock-autumn's page like a browser; returns the return link."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", parts.path)
    response = conn.getresponse()
    assert response.status == 303, response.status
    return response.getheader("Location")


@pytest.fixture
def package():
    """Installs the .deb for one test and always removes it afterwards."""
    assert DEB and Path(DEB).is_file(), f"BANTER_DEB must name the built .deb, not {DEB!r}"
    assert not installed(), (
        "a `banter` package is already installed here: this test installs and removes "
        "its own, so remove that one first (dpkg -r banter)"
    )
    subprocess.run(root_command("dpkg", "-i", DEB), check=True, timeout=300)
    try:
        yield
    finally:
        if installed():
            subprocess.run(root_command("dpkg", "-r", PACKAGE), timeout=300)


@pytest.fixture
def autumn_url():
    mock = BIN_DIR / "mock-autumn"
    assert mock.exists(), f"build it first: {mock}"
    proc = subprocess.Popen(
        [str(mock), "--port", "0", "--payment-lag-ms", "500"], stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline().strip() if proc.stdout else ""
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ")
    proc.terminate()
    proc.wait(timeout=10)


def handlers(env: dict[str, str]) -> str:
    """What the desktop (GIO) would open a banter:// link with."""
    out = subprocess.run(
        ["gio", "mime", SCHEME_MIME], env=env, capture_output=True, text=True, timeout=30
    )
    return out.stdout + out.stderr


def test_the_deb_installs_opens_banter_links_in_the_running_app_and_uninstalls(
    package, autumn_url, tmp_path
):
    # What the package put on the system: the app, and a .desktop file that
    # declares the scheme and passes the link to the app.
    assert INSTALLED_APP.is_file()
    desktop = DESKTOP_FILE.read_text()
    assert f"MimeType={SCHEME_MIME}" in desktop, desktop
    assert "Exec=banter %u" in desktop, desktop

    # A home of its own: no handler in ~/.local and no mimeapps.list, so
    # only what the package installed can answer for banter://.
    env = dict(os.environ)
    env.update(
        BANTER_DATA_DIR=str(tmp_path / "data"),
        BANTER_KEYRING="off",
        AUTUMN_API_URL=autumn_url,
        AUTUMN_SECRET_KEY=AUTUMN_KEY,
        RUST_LOG="info",
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
    )
    assert "Banter.desktop" in handlers(env), handlers(env)

    log_path = tmp_path / "app.log"
    with open(log_path, "w") as log:
        app = subprocess.Popen([str(INSTALLED_APP)], env=env, stdout=log, stderr=log)
    try:
        log_text = lambda: ANSI.sub("", log_path.read_text())  # noqa: E731
        wait_for("the installed app to open its profile", lambda: "chat model" in log_text())
        assert app.poll() is None, log_text()

        # A checkout from a terminal on the same profile, paid in "the browser".
        out = subprocess.run(
            [str(BIN_DIR / "banter-cli"), "--json", "buy", "credits_500"],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )
        link = pay(json.loads(out.stdout)["url"])
        assert link.startswith("banter://purchase/complete?"), link

        # The browser hands the link to the desktop, which starts the handler
        # (a second `banter`), which forwards it to the running app.
        opened = subprocess.run(
            ["gio", "open", link], env=env, capture_output=True, text=True, timeout=60
        )
        assert opened.returncode == 0, opened.stderr
        wait_for(
            "the running app to receive the link",
            lambda: 'a banter:// link arrived kind="purchase_return"' in log_text(),
        )
        wait_for("its purchase check to finish", lambda: "purchase check finished" in log_text())
        assert app.poll() is None, "the running app must still be the one running"

        ledger = subprocess.run(
            [str(BIN_DIR / "banter-cli"), "--json", "ledger", "--verify"],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )
        assert json.loads(ledger.stdout)["balance"] == 600

        # The installed app registered nothing of its own: its installer did.
        own_handler = tmp_path / "xdg-data" / "applications" / "banter-handler.desktop"
        assert not own_handler.exists()
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(timeout=10)

    subprocess.run(root_command("dpkg", "-r", PACKAGE), check=True, timeout=300)
    assert not installed()
    assert not INSTALLED_APP.exists()
    assert not DESKTOP_FILE.exists()
    assert "Banter.desktop" not in handlers(env), handlers(env)
