"""Ops: what the Grafana dashboard shows, for people without Grafana -- every panel's
current values and rejections by reason over the last hour, read from the running
Prometheus through its HTTP API (the local one, on ``PROMETHEUS_PORT``)."""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.common.dashboard import PanelQuery, dashboard_queries
from services.insights.adapters.prometheus import instant, over_last_hour
from services.insights.ops import REJECTIONS_OVER_TIME, over_time, panels
from services.web.areas import NavItem
from services.web.pages.insights import access
from services.web.state import state_of

PATH: Final = "/ops"


def prometheus_url() -> str:
    """The local Prometheus on ``PROMETHEUS_PORT`` (as deploy/prometheus.sh starts it)."""
    port = int(os.environ.get("PROMETHEUS_PORT", "19090"))
    return f"http://127.0.0.1:{port}"


@functools.cache
def _queries() -> tuple[PanelQuery, ...]:
    return tuple(dashboard_queries())


async def ops_page(request: Request) -> Response:
    state = state_of(request)
    url, now = prometheus_url(), state.clock()
    queries = _queries()
    answers = await asyncio.gather(*(instant(url, q.expr, now) for q in queries))
    history = await over_last_hour(url, REJECTIONS_OVER_TIME, now)
    shown = panels(queries, answers)
    return state.pages.render(
        request,
        "views/insights/ops.html",
        {
            "panels": shown,
            "unreachable": all(p.error for p in shown),
            "rejections": over_time(history),
            "prometheus": url,
            "now": now,
        },
    )


AREAS = access.areas(
    "ops",
    (Route(PATH, ops_page, methods=["GET"], name="ops"),),
    access.ops,
    NavItem("Operations", PATH),
)
