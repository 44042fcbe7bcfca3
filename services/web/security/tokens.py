"""Session tokens: random, signed in the cookie, stored only as their SHA-256.

The cookie value is ``<token>.<signature>``: a cookie that was not made here is refused
before the database is asked, and the database alone cannot be used to forge one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

TOKEN_BYTES: Final = 32
COOKIE_MAX: Final = 200


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _signature(token: str, key: bytes) -> str:
    return hmac.new(key, b"session:" + token.encode(), hashlib.sha256).hexdigest()


def signed(token: str, key: bytes) -> str:
    return f"{token}.{_signature(token, key)}"


def unsigned(cookie: str, key: bytes) -> str | None:
    """The token of a cookie this service signed; None for anything else."""
    if len(cookie) > COOKIE_MAX or not cookie.isascii():
        return None
    token, _, signature = cookie.rpartition(".")
    if not token or not hmac.compare_digest(signature.encode(), _signature(token, key).encode()):
        return None
    return token


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (CSRF tokens)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())
