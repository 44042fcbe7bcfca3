"""What a milestone is worth under a contract (domain.md §7, §9 "Prices").

Pure: shared by sustainment (which decides the amount due for each standing milestone,
so that money follows the evidence as it stands) and payments (which pays it).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import EligibilityGroup, MilestoneKind
from services.common.reference import Contract

UPLIFTED_MILESTONES = frozenset(
    {
        MilestoneKind.EARNINGS_OUTCOME,
        MilestoneKind.SUSTAINED_13W,
        MilestoneKind.SUSTAINED_26W,
        MilestoneKind.SUSTAINED_52W,
    }
)
OUTCOME_MILESTONES = frozenset(
    {MilestoneKind.EARNINGS_OUTCOME, MilestoneKind.SELF_EMPLOYMENT_OUTCOME}
)


@dataclass(frozen=True)
class Price:
    base_pence: int
    uplift_pence: int

    @property
    def amount_pence(self) -> int:
        return self.base_pence + self.uplift_pence


def price_for(
    contract: Contract, group: EligibilityGroup, milestone: MilestoneKind, job_pays_llw: bool
) -> Price | None:
    """The price of a milestone, or None when it is 0 (not paid).

    The group override, if any, replaces the contract price; the LLW uplift is
    round-half-up(price x percent / 100), only for ``earnings_outcome`` and
    ``sustained_*`` when the job behind the milestone pays the LLW.
    """
    base = contract.group_prices.get(group, {}).get(milestone, contract.prices.get(milestone, 0))
    if base == 0:
        return None
    uplift = 0
    if job_pays_llw and milestone in UPLIFTED_MILESTONES:
        uplift = _round_half_up_percent(base, contract.llw_uplift_percent)
    return Price(base_pence=base, uplift_pence=uplift)


def _round_half_up_percent(pence: int, percent: int) -> int:
    """``pence * percent / 100`` rounded half up to whole pence (both >= 0)."""
    return (pence * percent + 50) // 100
