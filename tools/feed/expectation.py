"""Counts of a synthetic feed, for the summary table (what the topics should hold).

The per-payment expectation is :mod:`tools.feed.model`; this module only counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas.common import EmploymentType, MilestoneKind
from schemas.provider import JobStarted, ProgrammeStarted, ReferralMade
from tools.feed.generate import FeedItem
from tools.feed.model import DEVELOPMENT_KEY, expected
from tools.feed.world import DEFAULT_CONTRACTS


@dataclass(frozen=True)
class ExpectedPayments:
    count: int = 0
    total_pence: int = 0


@dataclass(frozen=True)
class FeedCounts:
    """What a feed holds, and what the pipeline should make of it (domain.md §6-§7).

    ``messages``, ``referrals``, ``evidence``: messages the feed sends. ``starts``,
    ``leavers``, ``job_starts`` (placements), ``job_ends``, ``below_minimum_wage``,
    ``pays_llw``: what the services accept (net of withdrawn placements).
    ``milestones``: milestones that stand, per kind; ``payments_by_contract``: the
    (participant, milestone) keys owed money and the net pence due, per contract.
    """

    messages: int
    referrals: int
    starts: int
    leavers: int
    job_starts: int
    self_employed_job_starts: int
    job_ends: int
    evidence: int
    referrals_by_contract: Mapping[str, int]
    starts_by_contract: Mapping[str, int]
    below_minimum_wage: int
    pays_llw: int
    milestones: Mapping[MilestoneKind, int]
    payments_by_contract: Mapping[str, ExpectedPayments]

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "referrals": self.referrals,
            "starts": self.starts,
            "leavers": self.leavers,
            "job_starts": self.job_starts,
            "self_employed_job_starts": self.self_employed_job_starts,
            "job_ends": self.job_ends,
            "evidence": self.evidence,
            "referrals_by_contract": dict(self.referrals_by_contract),
            "starts_by_contract": dict(self.starts_by_contract),
            "below_minimum_wage": self.below_minimum_wage,
            "pays_llw": self.pays_llw,
            "milestones": {str(k): v for k, v in self.milestones.items()},
            "payments_by_contract": {
                c: {"count": p.count, "total_pence": p.total_pence}
                for c, p in self.payments_by_contract.items()
            },
        }


def expected_counts(
    items: Iterable[FeedItem], participant_key: str = DEVELOPMENT_KEY
) -> FeedCounts:
    """Counts of a feed, and the milestones and payments it should lead to.

    Milestones and payments come from :func:`tools.feed.model.expected`: milestones that
    stand, per kind; per contract, the keys owed money and the net amount due.
    """
    items = list(items)
    by_type: Counter[str] = Counter(item.event.type for item in items)
    jobs: dict[str, JobStarted] = {}
    referrals: dict[str, ReferralMade] = {}
    started: set[str] = set()
    for item in items:
        event = item.event
        if isinstance(event, JobStarted):
            jobs.setdefault(event.placement_id, event)
        elif isinstance(event, ReferralMade):
            referrals.setdefault(event.referral_id, event)
        elif isinstance(event, ProgrammeStarted):
            started.add(event.referral_id)
    expectation = expected((item.as_sent() for item in items), participant_key)
    accepted = expectation.accepted
    milestones: Counter[MilestoneKind] = Counter(k.milestone for k in expectation.standing)
    payments: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for key, amount in expectation.due.items():
        count, pence = payments[key.contract_id]
        payments[key.contract_id] = (count + 1, pence + amount)
    referrals_by_contract: Counter[str] = Counter(r.contract_id for r in referrals.values())
    starts_by_contract: Counter[str] = Counter(
        referrals[r].contract_id for r in started if r in referrals
    )
    order = [c.contract_id for c in DEFAULT_CONTRACTS]
    return FeedCounts(
        messages=len(items),
        referrals=by_type["referral"],
        starts=accepted["starts"],
        leavers=accepted["leavers"],
        job_starts=accepted["placements"],
        self_employed_job_starts=sum(
            1 for j in jobs.values() if j.employment_type is EmploymentType.SELF_EMPLOYED
        ),
        job_ends=accepted["placements_ended"],
        evidence=by_type["evidence"],
        referrals_by_contract={c: referrals_by_contract[c] for c in order},
        starts_by_contract={c: starts_by_contract[c] for c in order},
        below_minimum_wage=accepted["placements_below_minimum_wage"],
        pays_llw=accepted["placements_pay_llw"],
        milestones={k: milestones[k] for k in MilestoneKind},
        payments_by_contract={c: ExpectedPayments(*payments[c]) for c in order if c in payments},
    )
