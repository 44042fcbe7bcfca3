"""Who may see the insights pages, and the 404 for everyone else.

A page of these areas does not exist for a role that may not see it (issue 15: a
provider's adviser is answered 404, not 403). Each area is registered twice: once for
the service navigation (shown only to the roles admitted) and once with its routes for
any signed-in user, each route checking the role itself and answering 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.areas import Area, Endpoint, NavItem, user_of
from services.web.roles import Role

Admits = Callable[[Role], bool]


def commissioner(role: Role) -> bool:
    return role.kind == "commissioner"


def commissioner_or_enforcement(role: Role) -> bool:
    return role.kind in ("commissioner", "enforcement")


def finance(role: Role) -> bool:
    return role.kind == "finance"


def ops(role: Role) -> bool:
    return role.kind == "ops"


def _signed_in(role: Role) -> bool:
    return True


def only(admits: Admits, endpoint: Endpoint) -> Endpoint:
    @functools.wraps(endpoint)
    async def page(request: Request) -> Response:
        if not admits(user_of(request).role):
            raise HTTPException(404)
        return await endpoint(request)

    return page


def areas(name: str, routes: Sequence[Route], admits: Admits, nav: NavItem) -> tuple[Area, Area]:
    guarded = tuple(
        Route(r.path, only(admits, r.endpoint), methods=sorted(r.methods or ()), name=r.name)
        for r in routes
    )
    return (
        Area(f"{name}-navigation", (), admits, nav),
        Area(name, guarded, _signed_in),
    )
