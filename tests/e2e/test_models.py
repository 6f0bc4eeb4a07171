"""The real app, named models: a second model added in Settings › AI models
(an Azure deployment on the mock, the environment's endpoint so its key
applies), chosen in the composer's model picker, answers the chat — the
mock records which deployment was asked — and the chat keeps it."""

from __future__ import annotations

import json
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import SHOTS
from test_app import badge, open_chat, page_text, use_main_window, wait_until
from test_theme import open_nav


def asked_deployments(mock_url: str) -> list[str]:
    """The deployments the mock Azure server was asked, in order."""
    with urllib.request.urlopen(f"{mock_url}/__mock/requests") as answer:
        return [r["deployment"] for r in json.load(answer)]


def test_a_model_added_in_settings_answers_the_chat_it_is_picked_for(app, mock_url):
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100", lambda: "100" in badge(driver))

    open_nav(driver, "Settings")
    add = wait_until("Add model", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=add-model]"))
    driver.execute_script("arguments[0].click()", add)
    form = wait_until("the model form", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=provider-form]"))
    form.find_element(By.CSS_SELECTOR, "[data-testid=model-name]").send_keys("Writer")
    form.find_element(By.CSS_SELECTOR, "[data-testid=kind-azure]").click()
    form.find_element(By.CSS_SELECTOR, "[data-testid=model-endpoint]").send_keys(mock_url)
    form.find_element(By.CSS_SELECTOR, "[data-testid=model-deployment]").send_keys("gpt-4o")
    Select(form.find_element(By.XPATH, ".//label[contains(., 'Model family')]//select")).select_by_value("gpt")
    form.find_element(By.XPATH, ".//label[contains(., 'API version')]//input").send_keys("2025-04-01-preview")
    form.find_element(By.CSS_SELECTOR, "[data-testid=save-model]").click()
    rows = lambda: [r.get_attribute("data-name") for r in driver.find_elements(By.CSS_SELECTOR, "[data-testid=model-row]")]  # noqa: E731
    wait_until("Writer listed beside the environment's model", lambda: "Writer" in rows() and len(rows()) == 2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "app-models-settings.png"))

    open_chat(driver)
    picker = wait_until("the model picker", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=model-picker]"))
    Select(picker).select_by_value("Writer")
    wait_until(
        "the picker showing Writer",
        lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=model-picker]").get_attribute("value") == "Writer",
    )
    box = driver.find_element(By.TAG_NAME, "textarea")
    box.send_keys("a haiku")
    box.send_keys(Keys.ENTER)
    wait_until("the reply", lambda: "Mock reply to: a haiku" in page_text(driver))
    wait_until(
        "the reply labelled with Writer's deployment",
        lambda: any("gpt-4o" in e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid=message-model]")),
    )
    wait_until("a balance of 97", lambda: "97" in badge(driver))
    assert asked_deployments(mock_url)[-1] == "gpt-4o"
    driver.save_screenshot(str(SHOTS / "app-models-picker.png"))
