"""AI project generation in the real app against the mock model: the
project and its tasks appear, and the balance drops by 15."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from test_app import badge, page_text, use_main_window, wait_until


def test_generate_a_project_with_ai(app):
    driver = app.launch()
    use_main_window(driver)
    wait_until("a balance of 100", lambda: "100" in badge(driver))
    wait_until(
        "the Projects link",
        lambda: driver.find_element(By.XPATH, "//nav//*[self::a or self::button][contains(., 'Projects')]"),
    ).click()
    prompt = wait_until(
        "the generate box", lambda: driver.find_element(By.CSS_SELECTOR, "[data-testid=generate-prompt]")
    )
    prompt.send_keys("A garden shed build over two weekends")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=generate]").click()

    rows = wait_until(
        "the generated project's tasks",
        lambda: driver.find_elements(By.CSS_SELECTOR, "[data-testid=task-row]"),
    )
    assert len(rows) >= 1
    wait_until("a balance of 85", lambda: "85" in badge(driver))
    assert "PR-000001" in page_text(driver)
