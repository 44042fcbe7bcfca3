"""An adviser's journey in a real browser, end to end against the running services: sign
in, the caseload, a payslip changing a projected date on the open page, the timeline's
reversal linked to its payment; and what is refused (another provider's participant, a
wrong password, a form without its CSRF token). axe-core checks every page."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PASSWORD, WebApp, check_page
from tests.browser.pages import column, sign_in, status_of, submit_and_wait, text
from tests.browser.story import participant_id, payslip_for_a, publish, settle_opening

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(scope="module")
def app(web_app: WebApp) -> WebApp:
    settle_opening(web_app.pipeline)
    return web_app


def test_a_wrong_password_is_refused(driver: WebDriver, app: WebApp) -> None:
    driver.delete_all_cookies()
    driver.get(app.at("/"))
    check_page(driver, "sign-in")

    sign_in(driver, app, "adviser", "not the right password")

    assert text(driver, ".govuk-error-summary") == (
        "There is a problem\nEnter a correct username and password".replace("\n", " ")
    )
    assert driver.find_elements(By.CSS_SELECTOR, ".app-account-bar") == []
    check_page(driver, "sign-in-refused")


def test_a_form_without_its_csrf_token_is_refused(driver: WebDriver, app: WebApp) -> None:
    driver.delete_all_cookies()
    driver.get(app.at("/sign-in"))
    driver.execute_script("document.querySelector('input[name=csrf_token]').remove()")
    driver.find_element(By.ID, "username").send_keys("adviser")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form > .govuk-button"))

    assert text(driver, "h1") == "You do not have permission to see this page"
    assert text(driver, "main p") == "The form was not sent from this service, or has expired."
    assert driver.find_elements(By.CSS_SELECTOR, ".app-account-bar") == []
    check_page(driver, "csrf-refused")


def test_the_caseload_shows_the_advisers_participants_with_projected_dates(
    driver: WebDriver, app: WebApp
) -> None:
    sign_in(driver, app, "adviser")

    assert driver.current_url == app.at("/caseload")
    assert text(driver, "#caseload-count") == "3 participants"
    assert column(driver, "table.app-caseload tbody th") == ["REF-A", "REF-B", "REF-C"]
    projected = dict(
        zip(
            column(driver, "table.app-caseload tbody th"),
            column(driver, "table.app-caseload tbody td[data-column=projected]"),
            strict=True,
        )
    )
    # REF-A: 475,904p at 7,500p a day from 15 April 2024 is reached on the 64th day.
    # REF-B: no job, no projection. REF-C: its outcome was revoked with its evidence,
    # the job goes on: projected from its start again.
    assert projected == {"REF-A": "17 Jun 2024", "REF-B": "", "REF-C": "17 Jun 2024"}
    check_page(driver, "caseload")


def test_a_new_payslip_changes_the_projected_date_without_a_reload(
    driver: WebDriver, app: WebApp
) -> None:
    sign_in(driver, app, "adviser")
    cell = "tr[data-participant-id='{}'] td[data-column=projected]".format(participant_id("REF-A"))
    assert text(driver, cell) == "17 Jun 2024"
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.body.dataset.live") == "connected"
    )
    driver.execute_script("window.sameDocument = 'still here'")

    publish(app.pipeline, payslip_for_a())

    WebDriverWait(driver, 30).until(lambda d: text(d, cell) == "20 Jun 2024")
    assert driver.execute_script("return window.sameDocument") == "still here"
    assert int(driver.execute_script("return document.body.dataset.liveRefreshes")) >= 1
    assert text(driver, "#live-status").startswith("Updated at ")


def test_the_timeline_shows_a_reversal_linked_to_its_payment(
    driver: WebDriver, app: WebApp
) -> None:
    sign_in(driver, app, "adviser")
    submit_and_wait(driver, driver.find_element(By.LINK_TEXT, "REF-C"))

    assert text(driver, "h1") == "Referral REF-C"
    payment = driver.find_element(By.CSS_SELECTOR, "#timeline [data-kind=payment]")
    reversal = driver.find_element(By.CSS_SELECTOR, "#timeline [data-kind=reversal]")
    assert "£5,000.00" in payment.text
    assert "-£5,000.00" in reversal.text
    link = reversal.find_element(By.CSS_SELECTOR, f"a[href='#{payment.get_attribute('id')}']")
    check_page(driver, "timeline")

    link.click()

    assert driver.current_url.endswith(f"#{payment.get_attribute('id')}")


def test_another_providers_participant_is_not_found(driver: WebDriver, app: WebApp) -> None:
    sign_in(driver, app, "adviser")
    theirs = f"/participants/{participant_id('REF-W')}"

    assert status_of(driver, theirs) == 404
    assert status_of(driver, "/participants/a-guessed-id") == 404
    assert status_of(driver, f"/participants/{participant_id('REF-A')}") == 200
    driver.get(app.at(theirs))
    assert text(driver, "h1") == "Page not found"
    check_page(driver, "not-found")

    sign_in(driver, app, "west-adviser")
    assert column(driver, "table.app-caseload tbody th") == ["REF-W"]
    assert status_of(driver, f"/participants/{participant_id('REF-A')}") == 404
