"""Signing in and out, as a person sees it; the session cookie, CSRF and rate limit."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from bs4 import BeautifulSoup

from services.web.middleware import SESSION_COOKIE
from tests.web.conftest import (
    PASSWORD,
    AddUser,
    Browser,
    cookie_attributes,
    csrf_token,
    text_of,
    texts_of,
)

pytestmark = pytest.mark.integration


async def test_the_sign_in_page_asks_for_a_username_and_password(browser: Browser) -> None:
    status, page = browser.get("/")

    assert status == 200
    assert text_of(page, "h1") == "Sign in"
    assert texts_of(page, "label") == ["Username", "Password"]
    dash = "\N{EN DASH}"
    assert text_of(page, "title") == f"Sign in {dash} Employment support outcomes {dash} GOV.UK"
    assert text_of(page, "main form > .govuk-button") == "Sign in"


async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    browser: Browser, add_user: AddUser
) -> None:
    await add_user("ada", "provider:prov-whp-central")

    status, page = browser.sign_in("ada", "not the password at all")

    assert status == 400
    assert text_of(page, ".govuk-error-summary") == (
        "There is a problem Enter a correct username and password"
    )
    assert text_of(page, "title").startswith("Error: Sign in")
    status, unknown = browser.sign_in("nobody", PASSWORD)
    assert status == 400
    assert text_of(unknown, ".govuk-error-summary") == text_of(page, ".govuk-error-summary")


async def test_empty_fields_are_named(browser: Browser) -> None:
    status, page = browser.sign_in("", "")

    assert status == 400
    assert text_of(page, ".govuk-error-summary") == (
        "There is a problem Enter your username Enter your password"
    )


async def test_signing_in_sets_a_secure_http_only_same_site_cookie(
    browser: Browser, add_user: AddUser
) -> None:
    await add_user("ada", "ops")
    _, form = browser.get("/sign-in")

    response = browser.client.post(
        "/sign-in",
        data={"username": "Ada", "password": PASSWORD, "csrf_token": csrf_token(form)},
        follow_redirects=False,
    )

    assert response.status_code == 303
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    assert {"secure", "httponly", "samesite", "max-age", "path"} <= cookie_attributes(set_cookie)
    assert "samesite=lax" in set_cookie.lower()
    assert "max-age=28800" in set_cookie.lower()
    page = BeautifulSoup(browser.client.get("/", follow_redirects=True).text, "html.parser")
    assert text_of(page, ".app-account-bar__text") == "Signed in as ada (ops)"


async def test_a_form_without_its_csrf_token_is_refused(
    browser: Browser, add_user: AddUser
) -> None:
    await add_user("ada", "ops")
    browser.get("/sign-in")

    response = browser.client.post("/sign-in", data={"username": "ada", "password": PASSWORD})

    assert response.status_code == 403
    page = BeautifulSoup(response.text, "html.parser")
    assert text_of(page, "h1") == "You do not have permission to see this page"
    assert text_of(page, "main p") == ("The form was not sent from this service, or has expired.")
    assert browser.get("/")[1].select_one(".app-account-bar__text") is None


async def test_a_csrf_token_of_another_session_is_refused(
    browser: Browser, add_user: AddUser
) -> None:
    await add_user("ada", "ops")
    _, other_form = browser.get("/sign-in")
    stolen = csrf_token(other_form)
    browser.client.cookies.clear()
    browser.get("/sign-in")

    response = browser.client.post(
        "/sign-in", data={"username": "ada", "password": PASSWORD, "csrf_token": stolen}
    )

    assert response.status_code == 403


async def test_sign_out_ends_the_session(browser: Browser, add_user: AddUser) -> None:
    await add_user("ada", "ops")
    browser.sign_in("ada")
    cookie = browser.client.cookies[SESSION_COOKIE]
    _, page = browser.get("/")

    response = browser.client.post(
        "/sign-out", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )

    signed_out = BeautifulSoup(response.text, "html.parser")
    assert text_of(signed_out, ".govuk-notification-banner") == "Success You have signed out."
    browser.client.cookies.clear()
    browser.client.cookies[SESSION_COOKIE] = cookie
    assert text_of(browser.get("/")[1], "h1") == "Sign in"


async def test_a_session_expires(browser: Browser, add_user: AddUser) -> None:
    await add_user("ada", "ops")
    browser.sign_in("ada")
    browser.clock.advance(timedelta(hours=7, minutes=59))
    assert text_of(browser.get("/")[1], "h1") == "Operations"

    browser.clock.advance(timedelta(minutes=1))

    assert text_of(browser.get("/")[1], "h1") == "Sign in"


async def test_a_forged_cookie_is_no_session(browser: Browser, add_user: AddUser) -> None:
    await add_user("ada", "ops")
    browser.sign_in("ada")
    token = browser.client.cookies[SESSION_COOKIE].rpartition(".")[0]
    browser.client.cookies.clear()
    browser.client.cookies[SESSION_COOKIE] = f"{token}.{'0' * 64}"

    assert text_of(browser.get("/")[1], "h1") == "Sign in"


async def test_sign_in_is_refused_after_five_failures_even_with_the_right_password(
    browser: Browser, add_user: AddUser
) -> None:
    await add_user("ada", "ops")
    for _ in range(5):
        assert browser.sign_in("ada", "a wrong password")[0] == 400
    browser.clock.advance(timedelta(minutes=5))

    status, page = browser.sign_in("ada", PASSWORD)

    assert status == 429
    assert text_of(page, "main") == (
        "Too many attempts to sign in You have tried to sign in too many times."
        " Try again in 10 minutes. Go back to sign in"
    )
    browser.clock.advance(timedelta(minutes=10))
    assert text_of(browser.sign_in("ada", PASSWORD)[1], "h1") == "Operations"


async def test_changing_a_password_ends_the_users_sessions(
    browser: Browser, add_user: AddUser, web_database: str
) -> None:
    from services.web.accounts_admin import change_account_password

    await add_user("ada", "ops")
    browser.sign_in("ada")

    await change_account_password(web_database, "ada", "a brand new password", browser.clock())

    assert text_of(browser.get("/")[1], "h1") == "Sign in"
    assert text_of(browser.sign_in("ada", "a brand new password")[1], "h1") == ("Operations")


async def test_pages_send_security_headers(browser: Browser) -> None:
    response = browser.client.get("/sign-in")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    nonce = policy.split("'nonce-")[1].split("'")[0]
    inline = BeautifulSoup(response.text, "html.parser").select("script:not([src])")
    assert inline
    assert all(script.get("nonce") == nonce for script in inline)


async def test_a_body_too_large_is_refused_before_it_is_read(browser: Browser) -> None:
    response = browser.client.post("/sign-in", content=b"x" * 20_000)

    assert response.status_code == 413


async def test_the_web_schema_holds_no_nino_or_date_of_birth(web_database: str) -> None:
    conn = await asyncpg.connect(web_database)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'web'"
        )
    finally:
        await conn.close()
    names = {r["column_name"] for r in columns}
    assert names
    assert not {n for n in names if "nino" in n or "birth" in n or n == "dob"}


async def test_odd_cookies_and_tokens_are_refused_not_errors(
    browser: Browser, add_user: AddUser
) -> None:
    await add_user("ada", "ops")
    odd_cookie = f"{SESSION_COOKIE}=abc.\u00e9\u00e9".encode("latin-1")
    page = browser.client.get("/sign-in", headers=[(b"cookie", odd_cookie)])
    assert page.status_code == 200

    response = browser.client.post(
        "/sign-in", data={"username": "ada", "password": PASSWORD, "csrf_token": "\u00e9" * 40}
    )

    assert response.status_code == 403
