"""What the browser tests do on a page: sign in, click and wait, read text as shown."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PASSWORD, WebApp


def sign_in(driver: WebDriver, app: WebApp, username: str, password: str = PASSWORD) -> None:
    driver.delete_all_cookies()
    driver.get(app.at("/sign-in"))
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form > .govuk-button"))


def submit_and_wait(driver: WebDriver, element: WebElement) -> None:
    """Click a button or link that loads a new page, and wait until it has."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 15).until(staleness_of(page))


def text(driver: WebDriver, selector: str) -> str:
    return " ".join(driver.find_element(By.CSS_SELECTOR, selector).text.split())


def column(driver: WebDriver, selector: str) -> list[str]:
    return [" ".join(e.text.split()) for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def status_of(driver: WebDriver, path: str) -> int:
    status: int = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status));",
        path,
    )
    return status
