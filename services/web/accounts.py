"""Signing in and out: the use cases behind the sign-in pages and ``outcomes users``.

Time comes in as an argument; the SQL lives in ``adapters``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from services.common.db import Connection
from services.web.adapters import sessions, sign_in_attempts, users
from services.web.adapters.sessions import Session
from services.web.adapters.users import InvalidUsername, User
from services.web.security.passwords import password_matches
from services.web.security.rate_limit import SignInLimits, wait_before_next_attempt
from services.web.security.tokens import new_token

FORM_SESSION_LIFETIME: Final = timedelta(hours=1)
"""A session before sign-in only carries the sign-in form's CSRF token."""
KEEP_ATTEMPTS: Final = timedelta(days=1)
"""Sign-in attempts are kept this long (or the rate limit's window, if longer)."""


@dataclass(frozen=True)
class SignedIn:
    session: Session


@dataclass(frozen=True)
class Refused:
    """Wrong username or password (which of the two is not said)."""


@dataclass(frozen=True)
class TooManyAttempts:
    wait: timedelta


SignInResult = SignedIn | Refused | TooManyAttempts


async def form_session(conn: Connection, now: datetime) -> Session:
    """A session for someone not signed in: it carries the CSRF token of the sign-in form."""
    return await sessions.open_session(
        conn, new_token(), secrets.token_urlsafe(32), None, now, now + FORM_SESSION_LIFETIME
    )


async def sign_in(
    conn: Connection,
    username_given: str,
    password: str,
    address: str,
    now: datetime,
    *,
    limits: SignInLimits,
    lifetime: timedelta,
    previous: Session | None,
) -> SignInResult:
    """Check a username and password, within the rate limit; on success a new session
    (new token: the one used before signing in is closed, so it cannot be fixed)."""
    try:
        username = users.normalised_username(username_given)
    except InvalidUsername:
        username = username_given.strip().lower()[:100]
    by_user, by_address = await sign_in_attempts.recent_failures(
        conn, username, address, now - limits.window
    )
    wait = wait_before_next_attempt(by_user, by_address, now, limits)
    if wait is not None:
        return TooManyAttempts(wait)
    found = await users.credentials(conn, username)
    user: User | None = None if found is None else found[0]
    matches = password_matches(None if found is None else found[1], password)
    await sign_in_attempts.record_attempt(conn, username, address, now, succeeded=matches)
    if not matches or user is None:
        return Refused()
    if previous is not None:
        await sessions.close_session(conn, previous.token)
    await sessions.delete_expired(conn, now)
    await sign_in_attempts.forget_before(conn, now - max(limits.window, KEEP_ATTEMPTS))
    session = await sessions.open_session(
        conn, new_token(), secrets.token_urlsafe(32), user, now, now + lifetime
    )
    return SignedIn(session)


async def sign_out(conn: Connection, session: Session | None) -> None:
    if session is not None:
        await sessions.close_session(conn, session.token)
