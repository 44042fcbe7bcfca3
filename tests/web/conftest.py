"""Page tests: the web app rendered through Starlette's test client against a real
PostgreSQL (a fresh database per test), with a clock the test moves. Pages are parsed
with BeautifulSoup and tests assert the text a person reads (``text_of``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final, Protocol
from urllib.parse import urlsplit

import asyncpg
import pytest
from bs4 import BeautifulSoup, Tag
from starlette.testclient import TestClient

from services.common import db
from services.web.adapters import users
from services.web.app import create_app
from services.web.roles import parse_role
from services.web.schema import migrate
from services.web.security.passwords import hash_password
from services.web.settings import WebSettings
from tests.integration.conftest import start_service

ROOT: Final = Path(__file__).resolve().parents[2]
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


SERVICE_SCHEMAS: Final = ("intake", "placement", "sustainment", "payments", "views")


@pytest.fixture(scope="session")
async def migrated_template(database_url: str) -> AsyncIterator[str]:
    """A database with every schema migrated, cloned for each test (CREATE DATABASE ...
    TEMPLATE): a test starts on an empty read model without migrating six schemas."""
    name = f"webtmpl_{uuid.uuid4().hex[:12]}"
    url = await _create(database_url, name)
    for schema in SERVICE_SCHEMAS:
        await db.migrate(url, schema, ROOT / "services" / schema)
    await migrate(url)
    yield name
    await _drop(database_url, name)


@pytest.fixture
async def fresh_database(database_url: str, migrated_template: str) -> AsyncIterator[str]:
    """This test's own database, a copy of the migrated template; dropped after it."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = await _create(database_url, name, template=migrated_template)
    yield url
    await _drop(database_url, name)


async def _create(admin_url: str, name: str, *, template: str | None = None) -> str:
    admin = await asyncpg.connect(admin_url)
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await admin.close()
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


async def _drop(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def web_database(fresh_database: str) -> str:
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
