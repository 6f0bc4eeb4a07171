"""Hosted mode in the real app: sign in to a Banter server through the
system browser and the `banter://auth/callback` deep link, send a message
through the server, see the server's balance, sign out back to local mode;
signed in, the Projects screen shows and creates the account's projects on
the server, never this computer's.

`hosted-stack` runs Postgres (a throwaway cluster), two banter-server
instances, mock-oidc, mock Azure and mock Autumn, and a throwaway Secret
Service the app keeps its tokens in."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import APP, BIN, CLI, SHOTS, App
from test_app import badge, open_chat, page_text, use_main_window, wait_until

STACK = BIN / "hosted-stack"
BROWSER = Path(__file__).with_name("fake_browser.py")


class Stack:
    """A running `hosted-stack`: its `KEY=value` lines, and its network
    (a gateway in front of the server) taken down and brought back through
    its standard input."""

    def __init__(self):
        assert STACK.exists(), f"build it first: {STACK}"
        self.proc = subprocess.Popen(
            [str(STACK), "--slow-ms", "5", "--keyring"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.values: dict[str, str] = {}
        for line in self.proc.stdout:
            line = line.strip()
            if line == "ready":
                break
            key, _, value = line.partition("=")
            self.values[key] = value
        assert "BANTER_SERVER_URL" in self.values, f"hosted-stack said {self.values}"

    def network(self, up: bool) -> None:
        word = "up" if up else "down"
        self.proc.stdin.write(f"{word}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer == f"network {word}", answer

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def stack():
    """The stack's `KEY=value` lines, while it runs."""
    running = Stack()
    yield running.values
    running.stop()


def register_browser(data_dir: Path) -> None:
    """Makes fake_browser.py the http(s) handler in the test's XDG dirs."""
    apps = data_dir / "xdg-data" / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "banter-test-browser.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Test browser\n"
        f"Exec={sys.executable} {BROWSER} %u\n"
        "MimeType=x-scheme-handler/http;x-scheme-handler/https;\nNoDisplay=true\n"
    )
    config = data_dir / "xdg-config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "mimeapps.list").write_text(
        "[Default Applications]\n"
        "x-scheme-handler/http=banter-test-browser.desktop\n"
        "x-scheme-handler/https=banter-test-browser.desktop\n"
    )


class HostedApp(App):
    """The app with its tokens in the stack's keyring and the stack's
    server offered in Settings › Account."""

    def __init__(self, data_dir: Path, mock_url: str, stack: dict[str, str]):
        super().__init__(data_dir, mock_url)
        self.stack = stack

    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("BANTER_KEYRING", None)
        env.update(
            BANTER_SERVER_URL=self.stack["BANTER_SERVER_URL"],
            DBUS_SESSION_BUS_ADDRESS=self.stack["DBUS_SESSION_BUS_ADDRESS"],
            BANTER_TEST_APP=str(APP),
            # xdg-open's generic mode: no desktop environment to defer to.
            XDG_CURRENT_DESKTOP="",
        )
        return env


def cli_json(app: App, *args: str):
    """`banter-cli --json ARGS` on the app's profile (and keyring)."""
    out = subprocess.run(
        [str(CLI), "--json", *args],
        env=app.env(), capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(out.stdout)


def credits_through_the_cli(app: App) -> dict:
    return cli_json(app, "credits")


def server_get(app: HostedApp, server: str, path: str):
    """`GET server+path` as the app's device: its access token, read from
    the keyring entry the app keeps it in (`SecretName::HostedTokens`)."""
    profile = cli_json(app, "profile")["id"]
    origin = app.stack["BANTER_SERVER_URL"]
    stored = subprocess.run(
        ["secret-tool", "lookup", "service", "app.banter.desktop", "username", f"hosted-tokens/{origin}/{profile}"],
        env=app.env(), capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    token = json.loads(stored)["access_token"]
    request = urllib.request.Request(server + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def open_settings(driver) -> None:
    wait_until(
        "the Settings link",
        lambda: driver.find_element(By.XPATH, "//nav//*[self::a or self::button][contains(., 'Settings')]"),
    ).click()
    wait_until("the account section", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=account-section]"))


def open_projects(driver) -> None:
    wait_until(
        "the Projects link",
        lambda: driver.find_element(By.XPATH, "//nav//*[self::a or self::button][contains(., 'Projects')]"),
    ).click()
    wait_until("the Projects screen", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=new-project]"))


def project_names(driver) -> list[str]:
    """The names in the Projects screen's list (empty while it shows none)."""
    rows = driver.find_elements(By.CSS_SELECTOR, "[data-testid=project-row] .name")
    return [row.get_attribute("textContent") for row in rows]


def sign_in(driver, stack: dict[str, str]) -> None:
    """Signs in from Settings › Account through mock-oidc and the deep link."""
    open_settings(driver)
    server = wait_until("the sign-in form", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=server-url]"))
    assert server.get_attribute("value") == stack["BANTER_SERVER_URL"]
    driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-in]").click()

    def signed_in_or_error():
        errors = driver.find_elements(By.CSS_SELECTOR, "[data-testid=account-error]")
        assert not errors, f"sign-in failed: {errors[0].text}"
        return driver.find_element(By.CSS_SELECTOR, "[data-testid=signed-in-as]").text

    signed_in = wait_until("signed in", signed_in_or_error, timeout=60)
    assert "Alice Example" in signed_in and stack["BANTER_SERVER_URL"] in signed_in, signed_in
    wait_until("this device in the list", lambda: "this device" in page_text(driver))


def sign_out(driver) -> None:
    open_settings(driver)
    # The section shows the account once it has read it (later on a busy
    # machine than the section itself).
    wait_until("the sign-out button", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-out]")).click()
    wait_until("the sign-in form", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-in-form]"))


def test_sign_in_send_through_the_server_and_sign_out(tmp_path, mock_url, stack):
    data_dir = tmp_path / "data"
    register_browser(data_dir)
    app = HostedApp(data_dir, mock_url, stack)
    try:
        driver = app.launch()
        use_main_window(driver)
        wait_until("the local balance", lambda: "100" in badge(driver))

        sign_in(driver, stack)

        # A message through the server: its model answers, its ledger pays.
        open_chat(driver)
        box = driver.find_element(By.TAG_NAME, "textarea")
        box.send_keys("hello server")
        box.send_keys(Keys.ENTER)
        wait_until("the reply", lambda: "Mock reply to: hello server" in page_text(driver), timeout=60)
        wait_until("the server's balance of 97", lambda: "97" in badge(driver))
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / "app-hosted-signed-in.png"))
        # The same account from the terminal on this profile (its tokens
        # are in the same keyring): the server says 97.
        assert credits_through_the_cli(app)["remaining"] == 97

        # Sign out: back to this computer's own ledger, untouched.
        sign_out(driver)
        wait_until("the local balance again", lambda: "100" in badge(driver))
        assert credits_through_the_cli(app)["remaining"] == 100
    finally:
        app.close()


def test_signed_in_the_projects_screen_is_the_accounts_on_the_server(tmp_path, mock_url, stack):
    data_dir = tmp_path / "data"
    register_browser(data_dir)
    app = HostedApp(data_dir, mock_url, stack)
    # A project of this computer's own, made in local mode.
    cli_json(app, "projects", "new", "Local allotment")
    try:
        driver = app.launch()
        use_main_window(driver)
        open_projects(driver)
        wait_until("the local project", lambda: project_names(driver) == ["Local allotment"])

        sign_in(driver, stack)
        # The account has no projects yet: the local one is not shown.
        open_projects(driver)
        wait_until(
            "the account's empty project list",
            lambda: "No projects yet" in page_text(driver) and not project_names(driver),
        )

        driver.find_element(By.CSS_SELECTOR, "[data-testid=new-project]").click()
        driver.find_element(By.CSS_SELECTOR, "[data-testid=new-project-name]").send_keys("Server greenhouse")
        driver.find_element(By.CSS_SELECTOR, "[data-testid=create-project]").click()
        # Created, the project opens (read back through the server).
        wait_until(
            "the new project's page",
            lambda: "Server greenhouse" in page_text(driver) and "PR-000001" in page_text(driver),
        )
        open_projects(driver)
        wait_until("the account's project", lambda: project_names(driver) == ["Server greenhouse"])

        # The server has it (asked through its other instance, as this
        # device); it never saw the local one.
        on_server = server_get(app, stack["BANTER_SERVER_URL_B"], "/v1/projects?includeArchived=true")
        assert [p["name"] for p in on_server] == ["Server greenhouse"], on_server
        assert on_server[0]["displayId"] == "PR-000001", on_server

        # Signed out, this computer's own project is back, and only it.
        sign_out(driver)
        open_projects(driver)
        wait_until("the local project again", lambda: project_names(driver) == ["Local allotment"])
    finally:
        app.close()
