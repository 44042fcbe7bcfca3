"""The sign-in form: what was sent, bounded, and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from starlette.datastructures import FormData

from services.web.security.passwords import PASSWORD_MAX

USERNAME_MAX: Final = 100
NEXT_MAX: Final = 500


@dataclass(frozen=True)
class SignInForm:
    username: str
    password: str
    next_path: str
    errors: dict[str, str] = field(default_factory=dict)
    """Field name -> the message shown beside it (and in the error summary)."""


def read_sign_in(form: FormData) -> SignInForm:
    username = _text(form, "username")[: USERNAME_MAX + 1]
    password = _text(form, "password")[: PASSWORD_MAX + 1]
    errors = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    return SignInForm(username, password, local_path(_text(form, "next")), errors)


def local_path(target: str) -> str:
    """Where to go after signing in: a path of this service only (never another site)."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or len(target) > NEXT_MAX
    ):
        return "/"
    return target


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
