"""Finance: monthly statements per contract and provider (page, CSV and printable HTML:
the same implementation as ``outcomes statement``, services/views/statements.py), the
reconciliation of the payments ledger with the payment topic, and the payment search."""

from __future__ import annotations

import re
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.insights.adapters.finance import reconciliation, search_payments
from services.views import read
from services.views.statements import Statement, statement_csv, statement_html
from services.web.areas import NavItem
from services.web.formatting import LONDON
from services.web.pages.insights import access
from services.web.pages.insights.forms import MAX_FIELD
from services.web.pages.insights.responses import csv_download, html_download
from services.web.state import state_of

PATH: Final = "/finance"
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def contract_ids(request: Request) -> tuple[str, ...]:
    return tuple(sorted(state_of(request).reference.contracts.contracts))


def _chosen(request: Request) -> tuple[str, str, str | None]:
    """Contract, month (YYYY-MM) and provider asked for; defaults: the first contract,
    this month."""
    query = request.query_params
    contract = query.get("contract", "")
    if contract not in contract_ids(request):
        contract = contract_ids(request)[0]
    month = query.get("month", "")[:MAX_FIELD]
    if not _MONTH.fullmatch(month):
        month = state_of(request).clock().astimezone(LONDON).strftime("%Y-%m")
    provider = query.get("provider", "")[:MAX_FIELD] or None
    return contract, month, provider


async def _statements(request: Request) -> tuple[list[Statement], str, str, str | None]:
    contract, month, provider = _chosen(request)
    async with state_of(request).views().acquire() as conn:
        found = await read.statements(conn, contract, month, provider)
    return found, contract, month, provider


async def statements_page(request: Request) -> Response:
    found, contract, month, _ = await _statements(request)
    return state_of(request).pages.render(
        request,
        "views/insights/statements.html",
        {
            "statements": found,
            "contract": contract,
            "month": month,
            "contracts": contract_ids(request),
        },
    )


async def _one(request: Request) -> Statement:
    found, _, _, provider = await _statements(request)
    if provider is None or len(found) != 1:
        raise HTTPException(404, "Choose a contract, a month and a provider with payments.")
    return found[0]


async def statement_csv_download(request: Request) -> Response:
    s = await _one(request)
    return csv_download(
        f"statement-{s.contract_id}-{s.provider_id}-{s.month}.csv", statement_csv(s)
    )


async def statement_html_download(request: Request) -> Response:
    s = await _one(request)
    name = f"statement-{s.contract_id}-{s.provider_id}-{s.month}.html"
    return html_download(name, statement_html(s))


async def reconciliation_page(request: Request) -> Response:
    async with state_of(request).views().acquire() as conn:
        result, pending = await reconciliation(conn)
    return state_of(request).pages.render(
        request, "views/insights/reconciliation.html", {"result": result, "pending": pending}
    )


async def payments_page(request: Request) -> Response:
    text = request.query_params.get("q", "").strip()[: MAX_FIELD * 4]
    found = []
    if text:
        async with state_of(request).views().acquire() as conn:
            found = await search_payments(conn, text)
    return state_of(request).pages.render(
        request, "views/insights/payments.html", {"q": text, "found": found}
    )


AREAS = access.areas(
    "finance",
    (
        Route(f"{PATH}/statements", statements_page, methods=["GET"], name="statements"),
        Route(f"{PATH}/statements.csv", statement_csv_download, methods=["GET"]),
        Route(f"{PATH}/statements.html", statement_html_download, methods=["GET"]),
        Route(f"{PATH}/reconciliation", reconciliation_page, methods=["GET"], name="reconcile"),
        Route(f"{PATH}/payments", payments_page, methods=["GET"], name="payment_search"),
    ),
    access.finance,
    NavItem("Finance", f"{PATH}/statements"),
)
