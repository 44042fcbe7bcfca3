"""Managing accounts (``outcomes users``): each use case opens its own connection to the
web schema, migrated first, so that the command works on a fresh database."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.web.adapters import users
from services.web.adapters.users import User
from services.web.roles import parse_role
from services.web.schema import SCHEMA, migrate
from services.web.security.passwords import hash_password


async def _connect(database_url: str) -> asyncpg.Connection[asyncpg.Record]:
    await migrate(database_url)
    conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(
        database_url, server_settings={"search_path": SCHEMA}
    )
    return conn


async def add_account(
    database_url: str, username: str, role: str, password: str, now: datetime
) -> User:
    name = users.normalised_username(username)
    parsed = parse_role(role)
    password_hash = hash_password(password)
    conn = await _connect(database_url)
    try:
        return await users.add_user(conn, name, parsed, password_hash, now)
    finally:
        await conn.close()


async def remove_account(database_url: str, username: str) -> None:
    conn = await _connect(database_url)
    try:
        await users.remove_user(conn, users.normalised_username(username))
    finally:
        await conn.close()


async def change_account_password(
    database_url: str, username: str, password: str, now: datetime
) -> None:
    password_hash = hash_password(password)
    conn = await _connect(database_url)
    try:
        await users.change_password(conn, users.normalised_username(username), password_hash, now)
    finally:
        await conn.close()


async def list_accounts(database_url: str) -> list[User]:
    conn = await _connect(database_url)
    try:
        return await users.list_users(conn)
    finally:
        await conn.close()
