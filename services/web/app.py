"""The web app, wired in one place: ``create_app(settings)`` (ASGI, Starlette).

Areas of pages are registered in ``pages/__init__.py``; this module only puts together
middleware, static assets (built by ``make web-assets``), the database pool, the
``views_changed`` listener and the error pages.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from services.common import db
from services.common.reference import load_reference
from services.web.areas import Area, routes_of
from services.web.live import Changes
from services.web.middleware import BodyLimit, SecurityHeaders, Sessions
from services.web.pages import AREAS
from services.web.rendering import Pages
from services.web.schema import SCHEMA, WEB_DIR, migrate
from services.web.settings import WebSettings
from services.web.state import Clock, WebState, state_of

STATIC_DIR: Final = WEB_DIR / "static"
VIEWS_SCHEMA: Final = "views"
"""The read model's tables (services/views), which the pages read."""
log = logging.getLogger(__name__)
ERROR_TITLES: Final = {
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Page not found",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: WebSettings, *, clock: Clock = utc_now, areas: Sequence[Area] = AREAS
) -> Starlette:
    if not (STATIC_DIR / "govuk-frontend.min.css").exists():
        raise RuntimeError(f"{STATIC_DIR} has no GOV.UK Frontend: run `make web-assets`")
    state = WebState(
        settings=settings,
        key=settings.secret_key(),
        clock=clock,
        pages=Pages(areas),
        changes=Changes(settings.database_url),
        reference=load_reference(settings.reference_dir),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await migrate(settings.database_url)
        state.pool = await db.create_pool(settings.database_url, SCHEMA, max_size=4)
        state.views_pool = await db.create_pool(settings.database_url, VIEWS_SCHEMA, max_size=8)
        await state.changes.start()
        try:
            yield
        finally:
            await state.changes.stop()
            await state.views_pool.close()
            await state.pool.close()

    app = Starlette(
        routes=[
            *routes_of(areas),
            Mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyLimit),
            Middleware(Sessions, pool=state.db, key=state.key, clock=clock),
        ],
        exception_handlers={HTTPException: error_page, Exception: server_error_page},
        lifespan=lifespan,
    )
    app.state.web = state
    app.state.pages = state.pages
    return app


async def error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    title = ERROR_TITLES.get(status, "Sorry, there is a problem with the service")
    detail = exc.detail if status == 403 and exc.detail != "Forbidden" else None
    return state_of(request).pages.render(
        request, "views/error.html", {"title": title, "detail": detail}, status_code=status
    )


async def server_error_page(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its traceback, and a page that says so (500)."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return state_of(request).pages.render(
        request,
        "views/error.html",
        {"title": "Sorry, there is a problem with the service", "detail": "Try again later."},
        status_code=500,
    )
