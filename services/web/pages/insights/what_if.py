"""What-if (domain.md §11): a commissioner edits a copy of one of their contracts
(prices per milestone, group overrides, LLW uplift, weekly_hours_min) and the accepted
history is replayed through the same rules in memory (services/insights/whatif.py),
beside the contract as it is and what was actually paid. Read only: a GET form; it
never writes a topic, a table or a payment."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.common import EligibilityGroup, MilestoneKind
from services.common.reference import Contract, ContractBook
from services.insights.adapters.views import accepted_histories, net_paid_by_milestone
from services.insights.whatif import WhatIf, what_if
from services.web.areas import NavItem, user_of
from services.web.pages.insights.access import areas, commissioner
from services.web.pages.insights.what_if_form import EditForm, read_form
from services.web.roles import Role
from services.web.state import state_of

PATH: Final = "/what-if"
CHANGES_SHOWN = 100


def contracts_of(role: Role, book: ContractBook) -> list[Contract]:
    """The contracts of the commissioner's sub-regions."""
    regions = set(role.sub_regions)
    return sorted(
        (c for c in book.contracts.values() if c.sub_region in regions),
        key=lambda c: c.contract_id,
    )


async def what_if_page(request: Request) -> Response:
    state = state_of(request)
    mine = contracts_of(user_of(request).role, state.reference.contracts)
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
            result = what_if(histories, contract, edit, state.reference.rates)
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
