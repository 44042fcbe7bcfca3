"""The users table: who may sign in, with which role (all SQL about users)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg

from services.common.db import Connection
from services.web.roles import Role, parse_role

USERNAME: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{0,99}")


class InvalidUsername(ValueError):
    pass


class UnknownUser(LookupError):
    pass


class UserExists(ValueError):
    pass


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    role: Role


def normalised_username(text: str) -> str:
    """Usernames are case-insensitive: folded to lower case, then checked."""
    username = text.strip().lower()
    if not USERNAME.fullmatch(username):
        raise InvalidUsername(
            "a username is 1 to 100 of a-z, 0-9 and . _ @ -, starting with a letter or digit"
        )
    return username


async def add_user(
    conn: Connection, username: str, role: Role, password_hash: str, now: datetime
) -> User:
    try:
        user_id = await conn.fetchval(
            "INSERT INTO users (username, role, password_hash, created_at, password_changed_at)"
            " VALUES ($1, $2, $3, $4, $4) RETURNING user_id",
            username,
            str(role),
            password_hash,
            now,
        )
    except asyncpg.UniqueViolationError:
        raise UserExists(f"user {username!r} exists already") from None
    return User(user_id, username, role)


async def remove_user(conn: Connection, username: str) -> None:
    """Remove a user; their sessions go with them (ON DELETE CASCADE)."""
    if await conn.fetchval("DELETE FROM users WHERE username = $1 RETURNING 1", username) is None:
        raise UnknownUser(f"no user {username!r}")


async def change_password(
    conn: Connection, username: str, password_hash: str, now: datetime
) -> None:
    """New password; every session of the user ends."""
    async with conn.transaction():
        user_id = await conn.fetchval(
            "UPDATE users SET password_hash = $2, password_changed_at = $3"
            " WHERE username = $1 RETURNING user_id",
            username,
            password_hash,
            now,
        )
        if user_id is None:
            raise UnknownUser(f"no user {username!r}")
        await conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)


async def credentials(conn: Connection, username: str) -> tuple[User, str] | None:
    """The user and their password hash, for signing in."""
    row = await conn.fetchrow(
        "SELECT user_id, username, role, password_hash FROM users WHERE username = $1", username
    )
    if row is None:
        return None
    return _user(row), row["password_hash"]


async def list_users(conn: Connection) -> list[User]:
    rows = await conn.fetch("SELECT user_id, username, role FROM users ORDER BY username")
    return [_user(r) for r in rows]


def _user(row: asyncpg.Record) -> User:
    return User(row["user_id"], row["username"], parse_role(row["role"]))
