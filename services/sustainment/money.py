"""Money follows the evidence as it stands (domain.md §7).

For each standing milestone: whether it is payable (``claim_late`` from §6, and the
earnings / self-employment exclusivity, ``superseded``) and the amount due under the
participant's contract. Sustainment announces a milestone again (revoked, then reached
as a new occurrence) whenever these change, so payments pays exactly what is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from schemas.common import EligibilityGroup, MilestoneKind, RejectionReason
from services.common.pricing import OUTCOME_MILESTONES, price_for
from services.common.reference import Contract

from .facts import MilestoneFacts


def settle(
    milestones: Mapping[MilestoneKind, MilestoneFacts],
    contract: Contract,
    group: EligibilityGroup,
) -> dict[MilestoneKind, MilestoneFacts]:
    """The milestones with ``payable``, ``not_payable_reason``, ``amount_due_pence`` and
    ``price`` set (the one place a milestone's price is decided).

    Of ``earnings_outcome`` and ``self_employment_outcome``, compared between those that
    would otherwise be paid (price > 0 and payable), the one reached first is paid
    (earlier reached date as the evidence stands; on the same date ``earnings_outcome``);
    the other is not payable, ``superseded``. A not payable milestone is due 0.
    """
    prices = {
        kind: price_for(contract, group, kind, f.job_pays_llw) for kind, f in milestones.items()
    }
    contenders = sorted(
        (f.reached_on, kind is not MilestoneKind.EARNINGS_OUTCOME, kind)
        for kind, f in milestones.items()
        if kind in OUTCOME_MILESTONES and prices[kind] is not None and f.payable
    )
    superseded = {kind for _, _, kind in contenders[1:]}
    settled: dict[MilestoneKind, MilestoneFacts] = {}
    for kind, facts in milestones.items():
        if kind in superseded:
            settled[kind] = replace(
                facts,
                payable=False,
                not_payable_reason=RejectionReason.SUPERSEDED,
                amount_due_pence=0,
                price=prices[kind],
            )
            continue
        price = prices[kind]
        due = price.amount_pence if price is not None and facts.payable else 0
        settled[kind] = replace(facts, amount_due_pence=due, price=price)
    return settled
