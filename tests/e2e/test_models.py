"""The real app, named models: a second model added in Settings › AI models
(an Azure deployment on the mock, the environment's endpoint so its key
applies), chosen in the composer's model picker, answers the chat — the
mock records which deployment was asked — and the chat keeps it."""

from __future__ import annotations

import json
import re
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from test_app import badge, open_chat, page_text, use_main_window, wait_until
from test_theme import open_nav, screenshot


# A <select> is set from the page's side: WebKitGTK opens a native popup
# for a clicked one, which under Xvfb with no window manager can keep the
# WebDriver session waiting.
CHOOSE = """
arguments[0].value = arguments[1];
arguments[0].dispatchEvent(new Event("input", {bubbles: true}));
arguments[0].dispatchEvent(new Event("change", {bubbles: true}));
"""


def choose(driver, select, value: str) -> None:
    driver.execute_script(CHOOSE, select, value)


def expect(driver, what: str, check):
    """`wait_until`, saying on failure what the page showed."""
    try:
        return wait_until(what, check)
    except AssertionError as failure:
        said = page_text(driver)
        screenshot(driver, "app-models-failed.png")
        raise AssertionError(f"{failure}; the page says: {said}") from None


def asked_deployments(mock_url: str) -> list[str]:
    """The deployments the mock Azure server was asked, in order."""
    with urllib.request.urlopen(f"{mock_url}/__mock/requests") as answer:
        return [r["deployment"] for r in json.load(answer)]


def test_a_model_added_in_settings_answers_the_chat_it_is_picked_for(app, mock_url):
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100", lambda: "100" in badge(driver))

    open_nav(driver, "Settings")
    add = wait_until(
        "Add model, once the models are read",
        lambda: next((b for b in driver.find_elements(By.CSS_SELECTOR, "[data-testid=add-model]") if b.is_enabled()), None),
    )
    driver.execute_script("arguments[0].click()", add)
    form = wait_until("the model form", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=provider-form]"))
    form.find_element(By.CSS_SELECTOR, "[data-testid=model-name]").send_keys("Writer")
    form.find_element(By.CSS_SELECTOR, "[data-testid=kind-azure]").click()
    form.find_element(By.CSS_SELECTOR, "[data-testid=model-endpoint]").send_keys(mock_url)
    form.find_element(By.CSS_SELECTOR, "[data-testid=model-deployment]").send_keys("gpt-4o")
    choose(driver, form.find_element(By.XPATH, ".//label[contains(., 'Model family')]//select"), "gpt")
    form.find_element(By.XPATH, ".//label[contains(., 'API version')]//input").send_keys("2025-04-01-preview")
    form.find_element(By.CSS_SELECTOR, "[data-testid=save-model]").click()
    rows = lambda: [r.get_attribute("data-name") for r in driver.find_elements(By.CSS_SELECTOR, "[data-testid=model-row]")]  # noqa: E731
    expect(driver, "Writer listed beside the environment's model", lambda: "Writer" in rows() and len(rows()) == 2)
    screenshot(driver, "app-models-settings.png")

    open_chat(driver)
    picker = wait_until("the model picker", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=model-picker]"))
    choose(driver, picker, "Writer")
    # Choosing a model in a new chat starts the chat with it.
    expect(driver, "the chat started for Writer", lambda: re.search(r"#/chat/\d+", driver.current_url))
    expect(
        driver,
        "the picker showing Writer",
        lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=model-picker]").get_attribute("value") == "Writer",
    )
    box = driver.find_element(By.TAG_NAME, "textarea")
    box.send_keys("a haiku")
    box.send_keys(Keys.ENTER)
    expect(driver, "the reply", lambda: "Mock reply to: a haiku" in page_text(driver))
    expect(
        driver,
        "the reply labelled with Writer's deployment",
        lambda: any("gpt-4o" in (e.get_attribute("textContent") or "") for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid=message-model]")),
    )
    wait_until("a balance of 97", lambda: "97" in badge(driver))
    assert asked_deployments(mock_url)[-1] == "gpt-4o"
    screenshot(driver, "app-models-picker.png")
