"""More of the web app in a real browser (``make test-browser`` only): every page at a
phone's width, everything but live updates without JavaScript, signing out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.chromium import chromium
from tests.browser.conftest import WebApp, check_page
from tests.browser.pages import column, sign_in, submit_and_wait, text
from tests.browser.story import participant_id, settle_opening

pytestmark = [pytest.mark.browser, pytest.mark.extended, pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(scope="module")
def app(web_app: WebApp) -> WebApp:
    settle_opening(web_app.pipeline)
    return web_app


@pytest.fixture
def no_javascript() -> Iterator[WebDriver]:
    with chromium(javascript=False) as browser:
        yield browser


def test_every_page_at_a_phones_width(driver: WebDriver, app: WebApp) -> None:
    driver.set_window_size(375, 800)
    try:
        driver.delete_all_cookies()
        driver.get(app.at("/sign-in"))
        check_page(driver, "mobile-sign-in")
        sign_in(driver, app, "adviser")
        check_page(driver, "mobile-caseload")
        driver.get(app.at(f"/participants/{participant_id('REF-C')}"))
        check_page(driver, "mobile-timeline")
    finally:
        driver.set_window_size(1280, 1000)


def test_without_javascript_the_caseload_filters_and_exports(
    no_javascript: WebDriver, app: WebApp
) -> None:
    driver = no_javascript
    sign_in(driver, app, "adviser")
    assert "js-enabled" not in (
        driver.find_element(By.TAG_NAME, "body").get_attribute("class") or ""
    )

    driver.find_element(By.CSS_SELECTOR, "#stage option[value=started]").click()
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form.app-filters .govuk-button"))

    assert column(driver, "table.app-caseload tbody th") == ["REF-B"]
    assert text(driver, "#caseload-count") == "1 participant matches the filters"
    export = driver.find_element(By.PARTIAL_LINK_TEXT, "Download this page as CSV")
    assert export.get_attribute("href") == app.at("/caseload.csv?stage=started")
    check_page(driver, "caseload-filtered-no-javascript", axe=False)

    submit_and_wait(driver, driver.find_element(By.LINK_TEXT, "REF-B"))
    assert text(driver, "h1") == "Referral REF-B"
    assert text(driver, "#projections") == "No projection: there is no open job."


def test_signing_out_ends_the_session(driver: WebDriver, app: WebApp) -> None:
    sign_in(driver, app, "adviser")
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, ".app-account-bar button"))

    assert text(driver, ".govuk-notification-banner") == "Success You have signed out."
    driver.get(app.at("/caseload"))
    assert text(driver, "h1") == "Sign in"
