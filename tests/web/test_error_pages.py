"""What a person reads when something is wrong: unknown pages and unexpected errors."""

from __future__ import annotations

import asyncpg
import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

from services.web.app import create_app
from tests.web.conftest import AddUser, Browser, MovingClock, text_of, web_settings

pytestmark = pytest.mark.integration


async def test_an_unknown_page_is_not_found(browser: Browser) -> None:
    status, page = browser.get("/no/such/page")

    assert status == 404
    assert text_of(page, "main") == (
        "Page not found If you typed the web address, check it is correct."
        " If you pasted the web address, check you copied the entire address."
        " Go to the start page"
    )


async def test_an_unexpected_error_is_a_page_that_says_so(
    web_database: str, add_user: AddUser, clock: MovingClock
) -> None:
    # No read model in this database: the caseload's query fails.
    conn = await asyncpg.connect(web_database)
    try:
        await conn.execute("DROP SCHEMA views CASCADE")
    finally:
        await conn.close()
    await add_user("ada", "provider:prov-whp-central")
    app = create_app(web_settings(web_database), clock=clock)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        Browser(client, clock).sign_in("ada")

        response = client.get("/caseload")

    assert response.status_code == 500
    page = BeautifulSoup(response.text, "html.parser")
    assert text_of(page, "h1") == "Sorry, there is a problem with the service"
    assert "UndefinedTable" not in response.text
