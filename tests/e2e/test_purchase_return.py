"""The purchase return in the real app: a second launch carrying a
`banter://purchase/complete` link hands it to the running app (single
instance over D-Bus), which reconciles with Autumn and shows the credits."""

from __future__ import annotations

import http.client
import json
import subprocess
from urllib.parse import urlsplit

from conftest import APP, CLI, SHOTS
from test_app import badge, use_main_window, wait_until


def pay(url: str) -> str:
    """Pays on the mock's page like a browser; returns the redirect target."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", parts.path)
    response = conn.getresponse()
    assert response.status == 303, response.status
    return response.getheader("Location")


def test_a_second_launch_with_the_return_link_makes_the_first_reconcile(app):
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100", lambda: "100" in badge(driver))

    # The checkout, opened from a terminal on the same profile.
    out = subprocess.run(
        [str(CLI), "--json", "buy", "credits_500"],
        env=app.env(), capture_output=True, text=True, timeout=60, check=True,
    )
    link = pay(json.loads(out.stdout)["url"])
    assert link.startswith("banter://purchase/complete?ref="), link

    # What the browser does with the link: start Banter with it.
    second = subprocess.run([str(APP), link], env=app.env(), timeout=60)
    assert second.returncode == 0

    # The running app got it and polled until Autumn saw the payment.
    wait_until("a balance of 600", lambda: "600" in badge(driver), timeout=60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "app-after-purchase-return.png"))

    # A forged link from another launch changes nothing.
    subprocess.run(
        [str(APP), "banter://purchase/complete?credits=99999"], env=app.env(), timeout=60
    )
    ledger = subprocess.run(
        [str(CLI), "--json", "ledger", "--verify"],
        env=app.env(), capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(ledger.stdout)["balance"] == 600
