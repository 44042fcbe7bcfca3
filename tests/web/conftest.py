"""Page tests: the web app rendered through Starlette's test client against a real
PostgreSQL (a fresh database per test), with a clock the test moves. Pages are parsed
with BeautifulSoup and tests assert the text a person reads (``text_of``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import asyncpg
import pytest
from bs4 import BeautifulSoup, Tag
from starlette.testclient import TestClient

from services.web.adapters import users
from services.web.app import create_app
from services.web.roles import parse_role
from services.web.schema import migrate
from services.web.security.passwords import hash_password
from services.web.settings import WebSettings
from tests.integration.conftest import start_service

NOW = datetime(2024, 12, 2, 9, 0, tzinfo=UTC)
TODAY = date(2024, 12, 2)
PASSWORD = "correct horse battery staple"


class MovingClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def normalize_spaces(text: str) -> str:
    return " ".join(text.split())


def text_of(page: BeautifulSoup | Tag, selector: str) -> str:
    """The text a person reads in the first element matching ``selector``."""
    found = page.select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return normalize_spaces(found.get_text(" "))


def texts_of(page: BeautifulSoup | Tag, selector: str) -> list[str]:
    return [normalize_spaces(e.get_text(" ")) for e in page.select(selector)]


def csrf_token(page: BeautifulSoup) -> str:
    field = page.select_one("input[name=csrf_token]")
    assert field is not None
    value = field.get("value")
    assert isinstance(value, str)
    return value


@dataclass
class Browser:
    """A test client that keeps its cookies, and the pages it was given."""

    client: TestClient
    clock: MovingClock

    def get(self, path: str) -> tuple[int, BeautifulSoup]:
        response = self.client.get(path, follow_redirects=True)
        return response.status_code, BeautifulSoup(response.text, "html.parser")

    def sign_in(self, username: str, password: str = PASSWORD) -> tuple[int, BeautifulSoup]:
        _, form = self.get("/sign-in")
        response = self.client.post(
            "/sign-in",
            data={"username": username, "password": password, "csrf_token": csrf_token(form)},
            follow_redirects=True,
        )
        return response.status_code, BeautifulSoup(response.text, "html.parser")


@pytest.fixture
async def web_database(fresh_database: str) -> str:
    await migrate(fresh_database)
    return fresh_database


class AddUser(Protocol):
    def __call__(self, username: str, role: str, password: str = ...) -> Awaitable[None]: ...


@pytest.fixture
async def add_user(web_database: str) -> AsyncIterator[AddUser]:
    conn = await asyncpg.connect(web_database, server_settings={"search_path": "web"})

    async def add(username: str, role: str, password: str = PASSWORD) -> None:
        await users.add_user(conn, username, parse_role(role), hash_password(password), NOW)

    yield add
    await conn.close()


def web_settings(database_url: str, today: date = TODAY) -> WebSettings:
    return WebSettings(
        database_url=database_url, web_secret_key="page-test-secret-key", web_today=today
    )


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock(NOW)


@pytest.fixture
def today() -> date:
    """The date the views are for (a test overrides it to suit its story)."""
    return TODAY


@pytest.fixture
def browser(web_database: str, clock: MovingClock, today: date) -> Iterator[Browser]:
    with TestClient(
        create_app(web_settings(web_database, today), clock=clock),
        base_url="https://testserver",
    ) as client:
        yield Browser(client, clock)


__all__ = ["start_service"]  # the integration tests' fixture: a handler on its schema


def cookie_attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in re.split(";", set_cookie)[1:]}
