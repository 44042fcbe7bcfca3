"""Server-side sessions (all SQL about sessions): a row per signed token, expiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.db import Connection
from services.web.adapters.users import User, _user
from services.web.security.tokens import token_digest


@dataclass(frozen=True)
class Session:
    token: str
    csrf_token: str
    expires_at: datetime
    user: User | None
    """None before sign-in: the session then only carries the sign-in form's CSRF token."""


async def open_session(
    conn: Connection,
    token: str,
    csrf_token: str,
    user: User | None,
    now: datetime,
    expires_at: datetime,
) -> Session:
    await conn.execute(
        "INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        token_digest(token),
        None if user is None else user.user_id,
        csrf_token,
        now,
        expires_at,
    )
    return Session(token, csrf_token, expires_at, user)


async def find_session(conn: Connection, token: str, now: datetime) -> Session | None:
    """The session of ``token`` if it has not expired."""
    row = await conn.fetchrow(
        "SELECT s.csrf_token, s.expires_at, s.user_id, u.username, u.role"
        " FROM sessions s LEFT JOIN users u USING (user_id)"
        " WHERE s.token_sha256 = $1 AND s.expires_at > $2",
        token_digest(token),
        now,
    )
    if row is None:
        return None
    user = None if row["user_id"] is None else _user(row)
    return Session(token, row["csrf_token"], row["expires_at"], user)


async def close_session(conn: Connection, token: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE token_sha256 = $1", token_digest(token))


async def delete_expired(conn: Connection, now: datetime) -> int:
    status = await conn.execute("DELETE FROM sessions WHERE expires_at <= $1", now)
    return int(status.split()[-1])
