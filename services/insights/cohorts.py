"""Cohort rates (domain.md §11): the share of starters who reached a stage within m whole
months of their start, by start-month cohort. A cohort counts at month m only when every
one of its starters has had m months (``months.cohort_age``); cohorts old enough are
pooled. Never outcomes / all starts: recent starters have had less time.

A rate whose count or pooled denominator is below 10 is suppressed (no share, no band).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from schemas.common import MilestoneKind

from .dimensions import Dimension, value_of
from .funnel import Stage
from .interval import wilson
from .months import cohort_age, month_of, reached_within
from .starters import StarterOutcomes, reached
from .suppression import rate_suppressed

MAX_MONTHS = 24
"""Curves go no further than this (the outcome window is 21 months)."""

CURVE_STAGES = (Stage.IN_WORK, Stage.EARNINGS_OUTCOME, Stage.SUSTAINED_13W)
"""What the charts show: job start, earnings outcome, sustained 13 weeks."""


def reached_on(starter: StarterOutcomes, stage: Stage) -> date | None:
    """When the starter reached ``stage`` (in work: the job start milestone's date)."""
    milestones = reached(starter)
    if stage is Stage.STARTED:
        return starter.start_date
    if stage is Stage.IN_WORK:
        return milestones.get(MilestoneKind.JOB_START)
    if stage is Stage.JOB_OUTCOME:
        days = [
            milestones[k]
            for k in (MilestoneKind.EARNINGS_OUTCOME, MilestoneKind.SELF_EMPLOYMENT_OUTCOME)
            if k in milestones
        ]
        return min(days) if days else None
    return milestones.get(MilestoneKind(stage.value))


@dataclass(frozen=True)
class CurvePoint:
    months: int
    cohorts: int
    """Start-month cohorts pooled: those at least ``months`` old."""
    starters: int
    reached: int
    share: float | None
    """None when suppressed (count or denominator below 10)."""
    low: float | None
    high: float | None

    @property
    def suppressed(self) -> bool:
        return self.share is None


@dataclass(frozen=True)
class Curve:
    label: str
    stage: Stage
    points: tuple[CurvePoint, ...]
    """Month 1, 2, ... as far as some cohort is old enough."""


def pooled_point(
    starters: Sequence[StarterOutcomes], stage: Stage, today: date, months: int
) -> CurvePoint:
    """Month ``months`` of the curve: cohorts at least that old, pooled."""
    ages: dict[date, int] = {}
    eligible = []
    for s in starters:
        cohort = month_of(s.start_date)
        if cohort not in ages:
            ages[cohort] = cohort_age(cohort, today)
        if ages[cohort] >= months:
            eligible.append(s)
    count = sum(reached_within(s.start_date, reached_on(s, stage), months) for s in eligible)
    cohorts = len({month_of(s.start_date) for s in eligible})
    if rate_suppressed(count, len(eligible)):
        return CurvePoint(months, cohorts, len(eligible), count, None, None, None)
    low, high = wilson(count, len(eligible))
    return CurvePoint(months, cohorts, len(eligible), count, count / len(eligible), low, high)


def curve(
    starters: Sequence[StarterOutcomes],
    stage: Stage,
    today: date,
    label: str = "All starters",
    max_months: int = MAX_MONTHS,
) -> Curve:
    oldest = max((cohort_age(month_of(s.start_date), today) for s in starters), default=-1)
    last = min(oldest, max_months)
    points = tuple(pooled_point(starters, stage, today, m) for m in range(1, last + 1))
    return Curve(label, stage, points)


def curves_by(
    starters: Iterable[StarterOutcomes],
    stage: Stage,
    today: date,
    dimension: Dimension | None = None,
    max_months: int = MAX_MONTHS,
) -> list[Curve]:
    """One curve per value of ``dimension`` (by start month: one per cohort), or one for
    everyone when ``dimension`` is None."""
    groups: dict[str, list[StarterOutcomes]] = defaultdict(list)
    for s in starters:
        groups["All starters" if dimension is None else value_of(s, dimension)].append(s)
    return [curve(groups[k], stage, today, k, max_months) for k in sorted(groups)]
