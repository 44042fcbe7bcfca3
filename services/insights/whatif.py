"""What-if (domain.md §11): the accepted history replayed under an edited copy of a
contract, through the same rules, beside the contract as it is.

The rules are the sustainment domain's own: ``compute_milestones`` (what stands on the
accepted placements and evidence) and ``money.settle`` (payable, superseded, price with
group override and LLW uplift) -- exactly what the sustainment handler decides for each
participant, and so, at a quiet moment, what payments minus reversals come to (§7). The
history is replayed once per participant, as it stands (arrival order never changes the
money, §10). Pure: nothing is published, stored or paid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from schemas.common import EligibilityGroup, MilestoneKind
from services.common.reference import Contract, Rates
from services.sustainment.facts import (
    EvidenceFacts,
    MilestoneFacts,
    ParticipantWindow,
    PlacementFacts,
)
from services.sustainment.milestones import compute_milestones
from services.sustainment.money import settle

MAX_PRICE_PENCE = 100_000_000
"""An edited price above £1m is refused (a typing slip, not a contract)."""
MAX_UPLIFT_PERCENT = 1000
MAX_WEEKLY_HOURS_HUNDREDTHS = 100 * 100


@dataclass(frozen=True)
class AcceptedHistory:
    """One participant's accepted history: placements not withdrawn, the current version
    of each evidence not retracted."""

    participant_id: str
    provider_id: str
    contract_id: str
    eligibility_group: EligibilityGroup
    start_date: date
    leaver_date: date | None
    placements: tuple[PlacementFacts, ...]
    evidence: tuple[EvidenceFacts, ...]


@dataclass(frozen=True)
class ContractEdit:
    """What a commissioner may change in a copy of a contract (None: unchanged)."""

    prices: Mapping[MilestoneKind, int] | None = None
    group_prices: Mapping[EligibilityGroup, Mapping[MilestoneKind, int]] | None = None
    llw_uplift_percent: int | None = None
    weekly_hours_min_hundredths: int | None = None


def edited(contract: Contract, edit: ContractEdit) -> Contract:
    """A copy of ``contract`` with ``edit`` applied; out-of-bounds values are refused."""
    prices = {**contract.prices, **(edit.prices or {})}
    groups = contract.group_prices if edit.group_prices is None else edit.group_prices
    amounts = [*prices.values(), *(p for g in groups.values() for p in g.values())]
    if any(not 0 <= p <= MAX_PRICE_PENCE for p in amounts):
        raise ValueError(f"prices are whole pence from 0 to {MAX_PRICE_PENCE}")
    uplift = (
        contract.llw_uplift_percent if edit.llw_uplift_percent is None else edit.llw_uplift_percent
    )
    if not 0 <= uplift <= MAX_UPLIFT_PERCENT:
        raise ValueError(f"the LLW uplift is a whole percent from 0 to {MAX_UPLIFT_PERCENT}")
    hours = edit.weekly_hours_min_hundredths
    if hours is None:
        hours = contract.weekly_hours_min_hundredths
    if not 0 < hours <= MAX_WEEKLY_HOURS_HUNDREDTHS:
        raise ValueError("weekly_hours_min is above 0 and at most 100 hours")
    return contract.model_copy(
        update={
            "version": f"{contract.version}+what-if",
            "prices": prices,
            "group_prices": groups,
            "llw_uplift_percent": uplift,
            "weekly_hours_min_hundredths": hours,
        }
    )


def amounts_due(
    history: AcceptedHistory, contracts: Sequence[Contract], rates: Rates
) -> list[dict[MilestoneKind, int]]:
    """For each contract, milestone -> pence due on this history (standing milestones
    whose amount is not 0). What is reached depends on the contract only through
    ``weekly_hours_min``: the milestones are computed once per distinct value of it."""
    nlw = rates.nlw.rate_on(history.start_date)
    if nlw is None:  # intake accepts no start without a rate (§3); nothing is due
        return [{} for _ in contracts]
    reached: dict[int, dict[MilestoneKind, MilestoneFacts]] = {}
    due = []
    for contract in contracts:
        hours = contract.weekly_hours_min_hundredths
        if hours not in reached:
            window = ParticipantWindow(history.start_date, history.leaver_date, nlw, hours)
            reached[hours] = compute_milestones(window, history.placements, history.evidence)
        settled = settle(reached[hours], contract, history.eligibility_group)
        due.append({kind: f.amount_due_pence for kind, f in settled.items() if f.amount_due_pence})
    return due


@dataclass(frozen=True)
class ParticipantChange:
    participant_id: str
    provider_id: str
    eligibility_group: EligibilityGroup
    as_is: Mapping[MilestoneKind, int]
    what_if: Mapping[MilestoneKind, int]

    @property
    def difference_pence(self) -> int:
        return sum(self.what_if.values()) - sum(self.as_is.values())


@dataclass(frozen=True)
class Totals:
    """Pence as the contract is and under the edit, by some key."""

    as_is: Mapping[str, int]
    what_if: Mapping[str, int]

    def names(self) -> list[str]:
        return sorted(set(self.as_is) | set(self.what_if))

    def difference(self, key: str) -> int:
        return self.what_if.get(key, 0) - self.as_is.get(key, 0)


@dataclass(frozen=True)
class WhatIf:
    contract_id: str
    participants: int
    total_as_is_pence: int
    total_what_if_pence: int
    by_milestone: Totals
    by_group: Totals
    by_provider: Totals
    changes: tuple[ParticipantChange, ...]
    """Every participant whose money changes, biggest change first."""

    @property
    def difference_pence(self) -> int:
        return self.total_what_if_pence - self.total_as_is_pence


def what_if(
    histories: Iterable[AcceptedHistory], contract: Contract, edit: ContractEdit, rates: Rates
) -> WhatIf:
    """Replay the contract's participants under ``contract`` and under its edited copy."""
    copy = edited(contract, edit)
    totals: dict[str, dict[str, dict[str, int]]] = {
        name: {"as_is": defaultdict(int), "what_if": defaultdict(int)}
        for name in ("milestone", "group", "provider")
    }
    changes: list[ParticipantChange] = []
    count = 0
    for h in histories:
        if h.contract_id != contract.contract_id:
            continue
        count += 1
        before, after = amounts_due(h, (contract, copy), rates)
        for side, due in (("as_is", before), ("what_if", after)):
            for kind, pence in due.items():
                totals["milestone"][side][kind.value] += pence
                totals["group"][side][h.eligibility_group.value] += pence
                totals["provider"][side][h.provider_id] += pence
        if before != after:
            changes.append(
                ParticipantChange(
                    h.participant_id, h.provider_id, h.eligibility_group, before, after
                )
            )
    changes.sort(key=lambda c: (-abs(c.difference_pence), c.participant_id))
    by = {name: Totals(dict(t["as_is"]), dict(t["what_if"])) for name, t in totals.items()}
    return WhatIf(
        contract_id=contract.contract_id,
        participants=count,
        total_as_is_pence=sum(by["milestone"].as_is.values()),
        total_what_if_pence=sum(by["milestone"].what_if.values()),
        by_milestone=by["milestone"],
        by_group=by["group"],
        by_provider=by["provider"],
        changes=tuple(changes),
    )
