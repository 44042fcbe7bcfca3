"""Commissioners: the outcomes funnel and the cohort curves of their sub-regions
(domain.md §11), each with a CSV download. Outcomes, not impact."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.insights.chart import MAX_CURVES, cohort_chart_svg
from services.insights.cohorts import CURVE_STAGES, curves_by
from services.insights.dimensions import Dimension
from services.insights.export import curves_csv, funnel_csv
from services.insights.funnel import Stage, funnel
from services.insights.starters import StarterOutcomes
from services.insights.suppression import SUPPRESSED, shown_count, shown_percent
from services.views import read
from services.web.areas import NavItem, user_of
from services.web.pages.insights.access import areas, commissioner
from services.web.pages.insights.forms import Period, breakdown, dimension, period
from services.web.pages.insights.responses import csv_download
from services.web.state import state_of

PATH: Final = "/outcomes"


async def _starters(request: Request, chosen: Period) -> list[StarterOutcomes]:
    sub_regions = [s.value for s in user_of(request).role.sub_regions]
    async with state_of(request).views().acquire() as conn:
        rows = await read.funnel_rows(conn, sub_regions, chosen.started_from, chosen.started_until)
    return list(rows)


def _scope(request: Request) -> str:
    role = user_of(request).role
    return "All London" if role.scope == "london" else f"Sub-region: {role.scope}"


async def outcomes(request: Request) -> Response:
    chosen, dims = period(request.query_params), breakdown(request.query_params)
    result = funnel(await _starters(request, chosen), dims)
    return state_of(request).pages.render(
        request,
        "views/insights/funnel.html",
        {
            "scope": _scope(request),
            "period": chosen,
            "dims": dims,
            "dimensions": list(Dimension),
            "stages": list(Stage),
            "funnel": result,
            "shown": shown_count,
            "query": request.url.query,
        },
    )


async def outcomes_csv(request: Request) -> Response:
    chosen, dims = period(request.query_params), breakdown(request.query_params)
    result = funnel(await _starters(request, chosen), dims)
    return csv_download("outcomes-funnel.csv", funnel_csv(result))


def _share(value: float | None) -> str:
    return SUPPRESSED if value is None else shown_percent(value)


async def cohorts(request: Request) -> Response:
    chosen, by = period(request.query_params), dimension(request.query_params, "by")
    starters = await _starters(request, chosen)
    today = state_of(request).today()
    charts = []
    for stage in CURVE_STAGES:
        curves = curves_by(starters, stage, today, by)
        ident = f"chart-{stage.value}"
        charts.append(
            {
                "stage": stage,
                "ident": ident,
                "curves": curves[:MAX_CURVES],
                "left_out": max(0, len(curves) - MAX_CURVES),
                "svg": cohort_chart_svg(
                    curves,
                    f"{stage.label}: share of starters by months since start",
                    "Lines: share of starters who reached it within each month since"
                    " their start, pooled over start-month cohorts old enough; shaded: 95%"
                    " confidence interval. The same figures are in the table below.",
                    ident,
                ),
            }
        )
    return state_of(request).pages.render(
        request,
        "views/insights/cohorts.html",
        {
            "scope": _scope(request),
            "period": chosen,
            "by": by,
            "dimensions": list(Dimension),
            "charts": charts,
            "share": _share,
            "shown": shown_count,
            "today": today,
            "query": request.url.query,
        },
    )


async def cohorts_csv(request: Request) -> Response:
    chosen, by = period(request.query_params), dimension(request.query_params, "by")
    starters = await _starters(request, chosen)
    today = state_of(request).today()
    curves = [c for s in CURVE_STAGES for c in curves_by(starters, s, today, by)]
    return csv_download("outcomes-cohorts.csv", curves_csv(curves))


AREAS = areas(
    "outcomes",
    (
        Route(PATH, outcomes, methods=["GET"], name="outcomes"),
        Route(f"{PATH}.csv", outcomes_csv, methods=["GET"], name="outcomes_csv"),
        Route(f"{PATH}/cohorts", cohorts, methods=["GET"], name="cohorts"),
        Route(f"{PATH}/cohorts.csv", cohorts_csv, methods=["GET"], name="cohorts_csv"),
    ),
    commissioner,
    NavItem("Outcomes", PATH),
)
