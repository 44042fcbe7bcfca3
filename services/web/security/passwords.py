"""Passwords: argon2id hashes (argon2-cffi), checked in the same time whether or not the
user exists."""

from __future__ import annotations

from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PASSWORD_MIN: Final = 12
PASSWORD_MAX: Final = 128
"""Longer input is refused before it is hashed (bounded work per sign-in)."""

_HASHER: Final = PasswordHasher()
_NOBODY: Final = _HASHER.hash("a password that belongs to nobody")


class WeakPassword(ValueError):
    """A new password that breaks the length rule."""


def check_new_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise WeakPassword(f"a password has between {PASSWORD_MIN} and {PASSWORD_MAX} characters")


def hash_password(password: str) -> str:
    check_new_password(password)
    return _HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed in ``stored_hash``; None (no such user) is
    checked against a hash of nobody's password so that it takes as long as a real one."""
    if len(password) > PASSWORD_MAX:
        return False
    try:
        return _HASHER.verify(stored_hash or _NOBODY, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
