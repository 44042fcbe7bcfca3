"""Areas of pages: each area is one module under ``pages/`` that exports an :class:`Area`,
and one line in ``pages/__init__.py`` registers it.

An area says which roles may see it. Registration wraps every route of the area, so no
page can forget a check: a page of an area with ``visible_to`` needs a signed-in user
whose role it admits (else: sign in first, or 403), and every form sent to it (any method
but GET/HEAD) must carry the session's CSRF token (else 403).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.web.adapters.sessions import Session
from services.web.adapters.users import User
from services.web.roles import Role
from services.web.security.tokens import same_secret

Endpoint = Callable[[Request], Awaitable[Response]]
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
CSRF_FIELD: Final = "csrf_token"
SIGN_IN_PATH: Final = "/sign-in"


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str


@dataclass(frozen=True)
class Area:
    name: str
    routes: Sequence[Route]
    visible_to: Callable[[Role], bool] | None
    """None: public (signing in); else the roles that may see every page of the area."""
    nav: NavItem | None = None
    """The area's entry in the service navigation, shown to the roles that may see it."""


def session_of(request: Request) -> Session | None:
    session: Session | None = request.scope.get("state", {}).get("session")
    return session


def user_of(request: Request) -> User:
    """The signed-in user of a page of a guarded area (guarded() made sure there is one)."""
    session = session_of(request)
    assert session is not None
    assert session.user is not None
    return session.user


async def check_csrf(request: Request) -> None:
    """Refuse (403) a form whose token is missing or is not its session's."""
    session = session_of(request)
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if session is None or not isinstance(given, str) or not same_secret(given, session.csrf_token):
        raise HTTPException(403, "The form was not sent from this service, or has expired.")


def guarded(endpoint: Endpoint, area: Area) -> Endpoint:
    @functools.wraps(endpoint)
    async def page(request: Request) -> Response:
        if area.visible_to is not None:
            session = session_of(request)
            if session is None or session.user is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(
                    f"{SIGN_IN_PATH}?{urlencode({'next': target})}", status_code=303
                )
            if not area.visible_to(session.user.role):
                raise HTTPException(403)
        if request.method not in SAFE_METHODS:
            await check_csrf(request)
        return await endpoint(request)

    return page


def routes_of(areas: Sequence[Area]) -> list[BaseRoute]:
    """Every route of every area, each wrapped by :func:`guarded`."""
    return [
        Route(
            route.path,
            guarded(route.endpoint, area),
            methods=sorted(route.methods or ()),
            name=route.name,
        )
        for area in areas
        for route in area.routes
    ]


def navigation(areas: Sequence[Area], role: Role | None) -> list[NavItem]:
    """The service navigation of a user: the areas their role may see."""
    if role is None:
        return []
    return [
        a.nav
        for a in areas
        if a.nav is not None and a.visible_to is not None and a.visible_to(role)
    ]
