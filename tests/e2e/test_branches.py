"""The real app, branches: a sent message edited and sent again becomes a
second version beside the first ("‹ 2/2 ›"), each charged once, and the
switcher brings the first version and its reply back."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import SHOTS
from test_app import badge, open_chat, page_text, use_main_window, wait_until


def test_edit_a_sent_message_see_two_versions_and_switch_back(app):
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    open_chat(driver)

    box = driver.find_element(By.TAG_NAME, "textarea")
    box.send_keys("plan a trip")
    box.send_keys(Keys.ENTER)
    wait_until(
        "the whole first reply",
        lambda: "Mock reply to: plan a trip word1" in page_text(driver) and "word200" in page_text(driver),
    )
    wait_until("a balance of 97", lambda: "97" in badge(driver))

    # Edit the sent message in place and send it again.
    edit = wait_until("the Edit action", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=edit-message]"))
    driver.execute_script("arguments[0].click()", edit)
    editor = wait_until("the editor", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=edit-input]"))
    editor.send_keys(" to Porto")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=edit-send]").click()
    wait_until(
        "the reply to the edited message",
        lambda: "Mock reply to: plan a trip to Porto word1" in page_text(driver) and "word200" in page_text(driver),
    )
    label = lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=version-label]").text  # noqa: E731
    wait_until("version 2 of 2", lambda: label() == "2/2")
    wait_until("a balance of 94 (the edit charged once)", lambda: "94" in badge(driver))
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "app-branches-2-of-2.png"))

    # Back to the first version: its reply is shown again.
    previous = driver.find_element(By.CSS_SELECTOR, "[data-testid=version-previous]")
    driver.execute_script("arguments[0].click()", previous)
    wait_until("version 1 of 2", lambda: label() == "1/2")
    wait_until(
        "the first reply again",
        lambda: "Mock reply to: plan a trip word1" in page_text(driver) and "to Porto" not in page_text(driver),
    )
    assert "94" in badge(driver), "switching is free"
    driver.save_screenshot(str(SHOTS / "app-branches-1-of-2.png"))
