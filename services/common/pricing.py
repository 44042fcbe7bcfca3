"""What a milestone is worth under a contract (domain.md §7, §9 "Prices").

Pure. Sustainment decides the price of each standing milestone with :func:`price_for`
(``money.settle``) and carries it on ``MilestoneReached``; payments pays it as given.

A contract names its *price rule* (``price_rule`` in contracts.json, default
``contract_prices``): the function in :data:`PRICE_RULES` that prices its milestones. A
contract priced another way is data (its contracts.json entry) plus one function here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from schemas.common import EligibilityGroup, MilestoneKind

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


class PricedContract(Protocol):
    """What a price rule reads of a contract (``reference.Contract``)."""

    @property
    def price_rule(self) -> str: ...

    @property
    def prices(self) -> Mapping[MilestoneKind, int]: ...

    @property
    def group_prices(self) -> Mapping[EligibilityGroup, Mapping[MilestoneKind, int]]: ...

    @property
    def llw_uplift_percent(self) -> int: ...


PriceRule = Callable[[PricedContract, EligibilityGroup, MilestoneKind, bool], "Price | None"]
"""(contract, eligibility group, milestone, does the job pay the LLW) -> price or None."""


def price_for(
    contract: PricedContract, group: EligibilityGroup, milestone: MilestoneKind, job_pays_llw: bool
) -> Price | None:
    """The price of a milestone under ``contract`` by its price rule; None when it is 0."""
    return PRICE_RULES[contract.price_rule](contract, group, milestone, job_pays_llw)


def contract_prices(
    contract: PricedContract, group: EligibilityGroup, milestone: MilestoneKind, job_pays_llw: bool
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


DEFAULT_PRICE_RULE: Final = "contract_prices"

PRICE_RULES: dict[str, PriceRule] = {DEFAULT_PRICE_RULE: contract_prices}
"""Price rule name (a contract's ``price_rule``) -> the function that prices with it."""
