"""The minimum-wage feed (domain.md §11): commissioners see their sub-regions, an
enforcement team (``enforcement:<borough>``) its borough only, read only; CSV for the
borough's enforcement team."""

from __future__ import annotations

import re
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.insights.export import minimum_wage_csv
from services.insights.minimum_wage import FeedLine, feed_lines, summary
from services.insights.months import last_day_of
from services.views import read
from services.web.areas import NavItem, user_of
from services.web.pages.insights.access import areas, commissioner_or_enforcement
from services.web.pages.insights.forms import MAX_FIELD, month_field
from services.web.pages.insights.responses import csv_download
from services.web.state import state_of

PATH: Final = "/minimum-wage"


async def _lines(request: Request) -> tuple[list[FeedLine], str | None, str, str]:
    """The feed lines the user may see, the borough chosen, and the months typed."""
    role = user_of(request).role
    query = request.query_params
    start_text, start = month_field(query, "from")
    until_text, until = month_field(query, "until")
    borough = role.scope if role.kind == "enforcement" else (query.get("borough") or "")[:MAX_FIELD]
    sub_regions = [s.value for s in role.sub_regions] if role.kind == "commissioner" else None
    async with state_of(request).views().acquire() as conn:
        rows = await read.minimum_wage_rows(
            conn, sub_regions, start, last_day_of(until) if until else None
        )
    lines = feed_lines(rows, state_of(request).reference.rates.nlw)
    if borough:
        lines = [x for x in lines if x.borough.lower() == borough.lower()]
    return lines, borough or None, start_text, until_text


async def minimum_wage(request: Request) -> Response:
    lines, borough, start_text, until_text = await _lines(request)
    role = user_of(request).role
    return state_of(request).pages.render(
        request,
        "views/insights/minimum_wage.html",
        {
            "lines": lines,
            "summary": summary(lines),
            "borough": borough,
            "fixed_borough": role.kind == "enforcement",
            "from_text": start_text,
            "until_text": until_text,
            "query": request.url.query,
        },
    )


async def minimum_wage_download(request: Request) -> Response:
    lines, borough, _, _ = await _lines(request)
    name = re.sub(r"[^a-z0-9]+", "-", (borough or "all").lower()).strip("-") or "all"
    return csv_download(f"minimum-wage-{name}.csv", minimum_wage_csv(lines))


AREAS = areas(
    "minimum-wage",
    (
        Route(PATH, minimum_wage, methods=["GET"], name="minimum_wage"),
        Route(f"{PATH}.csv", minimum_wage_download, methods=["GET"], name="minimum_wage_csv"),
    ),
    commissioner_or_enforcement,
    NavItem("Minimum wage", PATH),
)
