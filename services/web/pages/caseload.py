"""The caseload (a provider's advisers): every participant of the provider, filtered,
sorted, paged, searchable by referral id, exportable as CSV, live."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.views import read
from services.views.read_model import CaseloadPage, PageRequest
from services.web.areas import Area, NavItem, user_of
from services.web.csv_export import csv_response
from services.web.forms.caseload import PAGE_SIZE, SORTS, STAGES, read_filters
from services.web.presenters.caseload import COLUMNS, caseload_lines
from services.web.roles import Role
from services.web.scope import caseload_query, provider_of
from services.web.state import state_of

PATH: Final = "/caseload"


async def caseload(request: Request) -> Response:
    state = state_of(request)
    filters = read_filters(request.query_params)
    views_filters, sort = caseload_query(filters)
    async with state.views().acquire() as conn:
        page: CaseloadPage = await read.caseload(
            conn,
            provider_of(user_of(request)),
            views_filters,
            sort,
            PageRequest(filters.page, PAGE_SIZE),
            today=state.today(),
        )
    return state.pages.render(
        request,
        "views/caseload/caseload.html",
        {
            "filters": filters,
            "page": page,
            "lines": caseload_lines(page.rows),
            "columns": COLUMNS,
            "stages": STAGES,
            "sorts": SORTS,
            "page_count": max(1, -(-page.total // PAGE_SIZE)),
            "today": state.today(),
        },
    )


async def caseload_csv(request: Request) -> Response:
    """The rows and columns of the page as shown (``?all=1``: every matching row)."""
    state = state_of(request)
    filters = read_filters(request.query_params)
    views_filters, sort = caseload_query(filters)
    provider_id = provider_of(user_of(request))
    async with state.views().acquire() as conn:
        if request.query_params.get("all") == "1":
            rows = await read.caseload_export(conn, provider_id, views_filters, sort, state.today())
        else:
            page = await read.caseload(
                conn,
                provider_id,
                views_filters,
                sort,
                PageRequest(filters.page, PAGE_SIZE),
                today=state.today(),
            )
            rows = page.rows
    lines = caseload_lines(rows)
    return csv_response(
        f"caseload-{provider_id}-{state.today().isoformat()}.csv",
        COLUMNS,
        [line.texts for line in lines],
    )


def is_adviser(role: Role) -> bool:
    return role.provider_id is not None


AREA = Area(
    name="caseload",
    routes=(
        Route(PATH, caseload, methods=["GET"], name="caseload"),
        Route(f"{PATH}.csv", caseload_csv, methods=["GET"], name="caseload_csv"),
    ),
    visible_to=is_adviser,
    nav=NavItem("Caseload", PATH),
)
