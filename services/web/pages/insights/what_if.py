"""What-if (domain.md §11): a commissioner edits a copy of one of their contracts
(prices per milestone, group overrides, LLW uplift, weekly_hours_min) and the accepted
history is replayed through the same rules in memory (services/insights/whatif.py),
beside the contract as it is and what was actually paid. Read only: a GET form; it
never writes a topic, a table or a payment."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.common import EligibilityGroup, MilestoneKind
from services.common.reference import Contract, ContractBook, Rates, load_contracts, load_rates
from services.insights.adapters.views import accepted_histories, net_paid_by_milestone
from services.insights.whatif import ContractEdit, WhatIf, edited, what_if
from services.web.areas import NavItem, user_of
from services.web.pages.insights.access import areas, commissioner
from services.web.pages.insights.forms import MAX_FIELD, hundredths, pence
from services.web.roles import Role
from services.web.state import state_of

PATH: Final = "/what-if"
CHANGES_SHOWN = 100


@functools.cache
def _reference() -> tuple[ContractBook, Rates]:
    return load_contracts(), load_rates()


def contracts_of(role: Role) -> list[Contract]:
    """The contracts of the commissioner's sub-regions."""
    regions = set(role.sub_regions)
    book, _ = _reference()
    return sorted(
        (c for c in book.contracts.values() if c.sub_region in regions),
        key=lambda c: c.contract_id,
    )


@dataclass
class EditForm:
    contract: Contract
    prices: dict[MilestoneKind, str] = field(default_factory=dict)
    groups: dict[EligibilityGroup, dict[MilestoneKind, str]] = field(default_factory=dict)
    uplift: str = ""
    hours: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(field id, message) in the order of the form."""


def _pounds(pence_value: int) -> str:
    return f"{pence_value // 100}.{pence_value % 100:02d}"


def read_form(query: Mapping[str, str], contract: Contract) -> tuple[EditForm, ContractEdit | None]:
    """The form as typed (defaults: the contract as it is) and the edit, if it is valid."""
    form = EditForm(contract)
    prices: dict[MilestoneKind, int] = {}
    for kind in MilestoneKind:
        text = query.get(f"price-{kind.value}", _pounds(contract.prices.get(kind, 0)))[:MAX_FIELD]
        form.prices[kind] = text
        value = pence(text)
        if value is None:
            form.errors.append(
                (f"price-{kind.value}", f"Enter the price of {kind.value} in pounds")
            )
        else:
            prices[kind] = value
    groups: dict[EligibilityGroup, dict[MilestoneKind, int]] = {}
    for group in EligibilityGroup:
        current = contract.group_prices.get(group, {})
        form.groups[group] = {}
        for kind in MilestoneKind:
            name = f"group-{group.value}-{kind.value}"
            default = _pounds(current[kind]) if kind in current else ""
            text = query.get(name, default)[:MAX_FIELD].strip()
            form.groups[group][kind] = text
            if not text:
                continue
            value = pence(text)
            if value is None:
                form.errors.append(
                    (name, f"Enter the {group.value} price of {kind.value} in pounds, or nothing")
                )
            else:
                groups.setdefault(group, {})[kind] = value
    form.uplift = query.get("llw-uplift", str(contract.llw_uplift_percent))[:MAX_FIELD]
    uplift = int(form.uplift) if form.uplift.strip().isdigit() else None
    if uplift is None or uplift > 1000:
        form.errors.append(
            ("llw-uplift", "Enter the London Living Wage uplift as a whole percent from 0 to 1000")
        )
    form.hours = query.get("weekly-hours-min", _hours(contract.weekly_hours_min_hundredths))[
        :MAX_FIELD
    ]
    hours = hundredths(form.hours)
    if hours is None:
        form.errors.append(
            (
                "weekly-hours-min",
                "Enter the weekly hours of an in-work week: above 0, at most 100, 2 decimal places",
            )
        )
    if form.errors:
        return form, None
    edit = ContractEdit(prices, groups, uplift, hours)
    try:
        edited(contract, edit)
    except ValueError as refused:
        form.errors.append(("price-earnings_outcome", str(refused)))
        return form, None
    return form, edit


def _hours(value: int) -> str:
    whole, part = divmod(value, 100)
    return str(whole) if part == 0 else f"{whole}.{part:02d}".rstrip("0")


async def what_if_page(request: Request) -> Response:
    state = state_of(request)
    mine = contracts_of(user_of(request).role)
    query = request.query_params
    contract = next(
        (c for c in mine if c.contract_id == query.get("contract")), mine[0] if mine else None
    )
    form: EditForm | None = None
    result: WhatIf | None = None
    paid: dict[MilestoneKind, int] = {}
    if contract is not None:
        form, edit = read_form(query, contract)
        if edit is not None and query.get("replay") == "1":
            async with state.views().acquire() as conn:
                histories = await accepted_histories(conn, contract.contract_id)
                paid = await net_paid_by_milestone(conn, contract.contract_id)
            result = what_if(histories, contract, edit, _reference()[1])
    return state.pages.render(
        request,
        "views/insights/what_if.html",
        {
            "contracts": mine,
            "contract": contract,
            "form": form,
            "result": result,
            "paid": {k.value: v for k, v in paid.items()},
            "milestones": list(MilestoneKind),
            "groups": list(EligibilityGroup),
            "changes_shown": CHANGES_SHOWN,
            "page_has_errors": bool(form and form.errors and query.get("replay") == "1"),
            "replayed": query.get("replay") == "1",
        },
    )


AREAS = areas(
    "what-if",
    (Route(PATH, what_if_page, methods=["GET"], name="what_if"),),
    commissioner,
    NavItem("What if", PATH),
)
