"""Databases on a PostgreSQL server, for tests, benchmarks and development runs.

The one place that creates and drops them: a test's fresh database, a run's, a
benchmark's. ``admin_url`` is a URL of the server (any database the role may connect to).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg


def database_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``admin_url``."""
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


async def create_database(admin_url: str, name: str, *, replace: bool = False) -> str:
    """Create database ``name`` (first dropping one of that name when ``replace``);
    return its URL."""
    conn = await asyncpg.connect(admin_url)
    try:
        if replace:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(admin_url, name)


async def drop_databases(admin_url: str, *names: str) -> None:
    """Drop these databases if they exist, disconnecting their sessions."""
    conn = await asyncpg.connect(admin_url)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def databases_like(admin_url: str, pattern: str) -> list[str]:
    """Names of the server's databases matching the SQL LIKE ``pattern``."""
    conn = await asyncpg.connect(admin_url)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", pattern)
    finally:
        await conn.close()
    return [str(row["datname"]) for row in rows]


@asynccontextmanager
async def temporary_database(admin_url: str, name: str) -> AsyncIterator[str]:
    """A new database ``name`` for the ``async with`` block (its URL); dropped after."""
    url = await create_database(admin_url, name)
    try:
        yield url
    finally:
        await drop_databases(admin_url, name)
