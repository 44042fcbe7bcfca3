"""The session cookie: Secure, HttpOnly, SameSite=Lax, signed, expiring with the session."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from services.web.adapters.sessions import Session
from services.web.middleware import SESSION_COOKIE
from services.web.security.tokens import signed


def set_session_cookie(response: Response, session: Session, key: bytes, now: datetime) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        signed(session.token, key),
        max_age=max(0, int((session.expires_at - now).total_seconds())),
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
