"""ASGI middleware: bounded request bodies, the session of each request, security headers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.db import Pool
from services.web.adapters.sessions import find_session
from services.web.security.tokens import unsigned

SESSION_COOKIE: Final = "outcomes_session"
STATIC_PREFIX: Final = "/assets/"
"""GOV.UK Frontend's files and the app's own: public, never a session to look up."""
BODY_MAX: Final = 16 * 1024
"""Bytes of a request body: the largest form here (sign in) is far smaller."""


class BodyLimit:
    """Refuse (413) a request whose body is larger than ``limit`` bytes, before any view
    reads it: declared by Content-Length, or counted as it streams in."""

    def __init__(self, app: ASGIApp, limit: int = BODY_MAX) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _plain(send, 413, b"Request too large")
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge
            return message

        try:
            await self.app(scope, bounded, send)
        except TooLarge:
            await _plain(send, 413, b"Request too large")


class TooLarge(Exception):
    pass


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Sessions:
    """Put the request's session (or None) in ``scope["state"]["session"]``: the cookie's
    token must carry this service's signature and name a session that has not expired."""

    def __init__(
        self, app: ASGIApp, pool: Callable[[], Pool], key: bytes, clock: Callable[[], datetime]
    ) -> None:
        self.app = app
        self.pool = pool
        self.key = key
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            state["session"] = None
            static = scope["path"].startswith(STATIC_PREFIX)
            token = None if static else _session_token(scope, self.key)
            if token is not None:
                async with self.pool().acquire() as conn:
                    state["session"] = await find_session(conn, token, self.clock())
        await self.app(scope, receive, send)


def _session_token(scope: Scope, key: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except CookieError:  # a malformed cookie header is no session
                return None
            morsel = cookie.get(SESSION_COOKIE)
            if morsel is not None:
                return unsigned(morsel.value, key)
    return None


class SecurityHeaders:
    """Headers on every response: a CSP whose script nonce templates use
    (``scope["state"]["csp_nonce"]``), no framing, no sniffing, no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        static = scope["path"].startswith(STATIC_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["content-security-policy"] = (
                    f"default-src 'self'; script-src 'self' 'nonce-{nonce}';"
                    " object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
                    " form-action 'self'"
                )
                headers["x-content-type-options"] = "nosniff"
                headers["x-frame-options"] = "DENY"
                headers["referrer-policy"] = "same-origin"
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
