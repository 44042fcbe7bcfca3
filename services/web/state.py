"""What the pages share, wired once in ``app.create_app``: settings, pool, clock, renderer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from starlette.requests import Request

from services.common.db import Pool
from services.common.reference import Reference
from services.web.formatting import LONDON
from services.web.live import Changes
from services.web.rendering import Pages
from services.web.settings import WebSettings

Clock = Callable[[], datetime]


@dataclass
class WebState:
    settings: WebSettings
    key: bytes
    clock: Clock
    pages: Pages
    changes: Changes
    reference: Reference
    """Contracts and rates, read once when the app is made."""
    pool: Pool | None = field(default=None)
    """The web schema (users, sessions, audit)."""
    views_pool: Pool | None = field(default=None)
    """The read model's schema (``views``), read only."""

    def db(self) -> Pool:
        assert self.pool is not None, "the pool opens in the app's lifespan"
        return self.pool

    def views(self) -> Pool:
        assert self.views_pool is not None, "the pool opens in the app's lifespan"
        return self.views_pool

    def today(self) -> date:
        """The date the views are for: WEB_TODAY if set, else today in London."""
        if self.settings.web_today is not None:
            return self.settings.web_today
        return self.clock().astimezone(LONDON).date()


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
