"""The derived columns of a participant's caseload row, from the facts (pure).

Recomputed by the consumer whenever a participant's facts change, so that a page can
filter and sort on them in SQL; only the comparison with "today" is left to the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from schemas.common import EligibilityGroup, EmploymentType, MilestoneKind
from services.common.reference import Contract
from services.views.projections import (
    PROJECTED_MILESTONES,
    OpenJob,
    Progress,
    Projection,
    Window,
    evidence_due_since,
    next_projection,
    projections,
)


@dataclass(frozen=True)
class JobFacts:
    """A confirmed placement as the read model holds it."""

    placement_id: str
    job_start_date: date
    employment_type: EmploymentType
    hourly_wage_pence: int | None
    weekly_hours: Decimal
    ended_on: date | None = None
    withdrawn: bool = False

    @property
    def open(self) -> bool:
        return self.ended_on is None and not self.withdrawn


@dataclass(frozen=True)
class MilestoneOccurrence:
    milestone: MilestoneKind
    occurrence: int
    reached: bool
    revoked: bool


@dataclass(frozen=True)
class Derived:
    in_work: bool
    milestones_reached: tuple[MilestoneKind, ...]
    next: Projection | None
    evidence_due_since: date | None


def standing(occurrences: Iterable[MilestoneOccurrence]) -> tuple[MilestoneKind, ...]:
    """Milestones whose latest occurrence was reached and not revoked (§6), in §6 order."""
    latest: dict[MilestoneKind, MilestoneOccurrence] = {}
    for o in occurrences:
        if o.milestone not in latest or o.occurrence > latest[o.milestone].occurrence:
            latest[o.milestone] = o
    return tuple(
        kind
        for kind in MilestoneKind
        if kind in latest and latest[kind].reached and not latest[kind].revoked
    )


def counted_milestones(
    contract: Contract | None, group: EligibilityGroup
) -> tuple[MilestoneKind, ...]:
    """The projected milestones the contract pays for this group (all, contract unknown)."""
    if contract is None:
        return PROJECTED_MILESTONES
    prices = {**contract.prices, **contract.group_prices.get(group, {})}
    return tuple(m for m in PROJECTED_MILESTONES if prices.get(m, 0) > 0)


def open_jobs(jobs: Iterable[JobFacts], latest_ends: Mapping[str, date]) -> tuple[OpenJob, ...]:
    return tuple(
        OpenJob(
            placement_id=j.placement_id,
            job_start_date=j.job_start_date,
            employment_type=j.employment_type,
            hourly_wage_pence=j.hourly_wage_pence,
            weekly_hours=j.weekly_hours,
            latest_evidence_end=latest_ends.get(j.placement_id),
        )
        for j in sorted(jobs, key=lambda j: (j.job_start_date, j.placement_id))
        if j.open
    )


def derive(
    window: Window,
    jobs: Sequence[JobFacts],
    progress: Progress,
    latest_ends: Mapping[str, date],
    occurrences: Iterable[MilestoneOccurrence],
    counted: Iterable[MilestoneKind],
) -> Derived:
    reached = standing(occurrences)
    current = open_jobs(jobs, latest_ends)
    found = projections(window, progress, current, reached, counted)
    return Derived(
        in_work=any(not j.withdrawn for j in jobs),
        milestones_reached=reached,
        next=next_projection(found),
        evidence_due_since=evidence_due_since(current) if window.left_on is None else None,
    )
