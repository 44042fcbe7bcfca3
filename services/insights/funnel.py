"""The outcomes funnel (domain.md §11): of the participants who started in a period, how
many were ever in work and how many reached each milestone, each counted on its own
(milestones are not a ladder), the two outcomes separately and together.

Outcomes, not impact: there is no comparison group. Counts only -- a rate is shown by
start-month cohort (``cohorts.py``), never as outcomes / all starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from schemas.common import MilestoneKind

from .dimensions import Dimension, checked, key_of
from .starters import StarterOutcomes, reached


class Stage(StrEnum):
    STARTED = "started"
    IN_WORK = "in_work"
    FIRST_EARNINGS = "first_earnings"
    EARNINGS_OUTCOME = "earnings_outcome"
    SELF_EMPLOYMENT_OUTCOME = "self_employment_outcome"
    JOB_OUTCOME = "job_outcome"
    """Earnings or self-employment outcome: either, counted once."""
    SUSTAINED_13W = "sustained_13w"
    SUSTAINED_26W = "sustained_26w"
    SUSTAINED_52W = "sustained_52w"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Stage.STARTED: "Started",
    Stage.IN_WORK: "Ever in work",
    Stage.FIRST_EARNINGS: "First earnings",
    Stage.EARNINGS_OUTCOME: "Earnings outcome",
    Stage.SELF_EMPLOYMENT_OUTCOME: "Self-employment outcome",
    Stage.JOB_OUTCOME: "Either outcome",
    Stage.SUSTAINED_13W: "Sustained 13 weeks",
    Stage.SUSTAINED_26W: "Sustained 26 weeks",
    Stage.SUSTAINED_52W: "Sustained 52 weeks",
}

_MILESTONE = {
    Stage.FIRST_EARNINGS: MilestoneKind.FIRST_EARNINGS,
    Stage.EARNINGS_OUTCOME: MilestoneKind.EARNINGS_OUTCOME,
    Stage.SELF_EMPLOYMENT_OUTCOME: MilestoneKind.SELF_EMPLOYMENT_OUTCOME,
    Stage.SUSTAINED_13W: MilestoneKind.SUSTAINED_13W,
    Stage.SUSTAINED_26W: MilestoneKind.SUSTAINED_26W,
    Stage.SUSTAINED_52W: MilestoneKind.SUSTAINED_52W,
}


def stages_of(starter: StarterOutcomes) -> set[Stage]:
    """Every stage the starter counts in."""
    milestones = reached(starter)
    stages = {Stage.STARTED}
    if starter.ever_in_work:
        stages.add(Stage.IN_WORK)
    stages.update(stage for stage, kind in _MILESTONE.items() if kind in milestones)
    if Stage.EARNINGS_OUTCOME in stages or Stage.SELF_EMPLOYMENT_OUTCOME in stages:
        stages.add(Stage.JOB_OUTCOME)
    return stages


@dataclass(frozen=True)
class FunnelRow:
    key: tuple[str, ...]
    """One value per dimension; () for the total."""
    counts: dict[Stage, int]


@dataclass(frozen=True)
class Funnel:
    dimensions: tuple[Dimension, ...]
    started_from: date | None
    started_until: date | None
    rows: tuple[FunnelRow, ...]
    """Sorted by key."""
    total: FunnelRow


def started_between(
    starters: Iterable[StarterOutcomes], started_from: date | None, started_until: date | None
) -> list[StarterOutcomes]:
    """The starters whose start date is in the period (both ends inclusive; None: open)."""
    return [
        s
        for s in starters
        if (started_from is None or s.start_date >= started_from)
        and (started_until is None or s.start_date <= started_until)
    ]


def funnel(
    starters: Iterable[StarterOutcomes],
    dimensions: tuple[Dimension, ...] = (),
    started_from: date | None = None,
    started_until: date | None = None,
) -> Funnel:
    """Counts per stage for each combination of the dimensions' values (0-2 of them)."""
    dimensions = checked(dimensions)
    cells: dict[tuple[str, ...], dict[Stage, int]] = {}
    total = dict.fromkeys(Stage, 0)
    for starter in started_between(starters, started_from, started_until):
        counts = cells.setdefault(key_of(starter, dimensions), dict.fromkeys(Stage, 0))
        for stage in stages_of(starter):
            counts[stage] += 1
            total[stage] += 1
    rows = tuple(FunnelRow(key, cells[key]) for key in sorted(cells))
    return Funnel(dimensions, started_from, started_until, rows, FunnelRow((), total))
