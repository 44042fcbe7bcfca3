"""What the adviser sees coming (domain.md §11): projected dates and evidence due.

Pure functions of the facts the read model holds and of a day passed in: no I/O, no
clock. Money is integer pence, hours exact (``Decimal`` turned into ``Fraction``).
Projections are for the adviser, never for money.

Readings where §11 leaves room (docs/views.md says the same):

- The *first uncovered day* U is the day after the latest counting evidence's period
  end, or, with no counting evidence, the earliest job start of the open placements
  that the milestone counts (employed ones for earnings and weeks, self-employed ones
  for self-employment).
- A placement earns (and counts towards a week's hours) only from its own job start:
  for a week, when it started on or before that week's Monday.
- The "first Monday after" the evidence (or the job start) is the first Monday on or
  after U.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from schemas.common import EmploymentType, MilestoneKind

OUTCOME_WINDOW_DAYS = 638
EVIDENCE_GRACE_DAYS = 35
"""Evidence periods are at most 35 days: past that, evidence is due (or overdue)."""
SELF_EMPLOYMENT_DAYS = 182
SUSTAINED_WEEKS: dict[MilestoneKind, int] = {
    MilestoneKind.SUSTAINED_13W: 13,
    MilestoneKind.SUSTAINED_26W: 26,
    MilestoneKind.SUSTAINED_52W: 52,
}
PROJECTED_MILESTONES: tuple[MilestoneKind, ...] = (
    MilestoneKind.EARNINGS_OUTCOME,
    MilestoneKind.SELF_EMPLOYMENT_OUTCOME,
    *SUSTAINED_WEEKS,
)
"""The milestones §11 projects, in the order that breaks ties between equal dates."""
HORIZON_DAYS = 100 * 366
"""A projection further away than this is no date at all (``None``: never on track)."""
OUTCOMES = frozenset({MilestoneKind.EARNINGS_OUTCOME, MilestoneKind.SELF_EMPLOYMENT_OUTCOME})


@dataclass(frozen=True)
class Window:
    """A participant's outcome window: ``start <= day <= last_day`` (§6)."""

    start_date: date
    left_on: date | None = None

    @property
    def last_day(self) -> date:
        end = self.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        return min(end, self.left_on) if self.left_on is not None else end

    def contains(self, day: date) -> bool:
        return self.start_date <= day <= self.last_day

    def days_left(self, today: date) -> int | None:
        """Days of the window after ``today`` (0 on its last day); None outside it."""
        return (self.last_day - today).days if self.contains(today) else None


@dataclass(frozen=True)
class OpenJob:
    """An open placement: confirmed, not ended, not withdrawn."""

    placement_id: str
    job_start_date: date
    employment_type: EmploymentType
    hourly_wage_pence: int | None
    weekly_hours: Decimal
    latest_evidence_end: date | None = None
    """The latest period end of this placement's counting evidence."""

    @property
    def employed(self) -> bool:
        return self.employment_type is EmploymentType.EMPLOYED

    @property
    def daily_pence(self) -> Fraction:
        """Hourly wage x weekly hours / 7 (exact)."""
        return Fraction(self.hourly_wage_pence or 0) * Fraction(self.weekly_hours) / 7


@dataclass(frozen=True)
class Progress:
    """What sustainment counted so far for one participant (its EvidenceProgress)."""

    earnings_threshold_pence: int
    weekly_hours_min: Decimal
    counted_earnings_pence: int = 0
    latest_employed_evidence_end: date | None = None
    in_work_weeks: int = 0
    self_employment_days: int = 0
    latest_self_employment_end: date | None = None


@dataclass(frozen=True)
class Projection:
    """A milestone's projected date; ``on_track`` is false when it falls outside the
    window or can never come (hours below the weekly minimum, no pay)."""

    milestone: MilestoneKind
    projected_on: date | None
    on_track: bool


class Outlook(StrEnum):
    """How a projection is shown on a given day (§11)."""

    PROJECTED = "projected"
    """The date; evidence may still be on its way."""
    OVERDUE = "overdue"
    """More than 35 days ago: it would have been reached; evidence is needed."""
    NOT_ON_TRACK = "not_on_track"


def outlook(projection: Projection, today: date) -> Outlook:
    if not projection.on_track or projection.projected_on is None:
        return Outlook.NOT_ON_TRACK
    if (today - projection.projected_on).days > EVIDENCE_GRACE_DAYS:
        return Outlook.OVERDUE
    return Outlook.PROJECTED


def _first_uncovered_day(latest_end: date | None, jobs: Sequence[OpenJob]) -> date | None:
    if latest_end is not None:
        return latest_end + timedelta(days=1)
    return min((j.job_start_date for j in jobs), default=None)


def project_earnings_outcome(progress: Progress, jobs: Iterable[OpenJob]) -> date | None:
    """The first day on which counted earnings plus the open employed jobs' daily pay
    (from the first uncovered day, each job from its own start) reach T; None if never."""
    employed = sorted((j for j in jobs if j.employed), key=lambda j: j.job_start_date)
    day = _first_uncovered_day(progress.latest_employed_evidence_end, employed)
    if day is None:
        return None
    need = Fraction(progress.earnings_threshold_pence - progress.counted_earnings_pence)
    if need <= 0:
        return day - timedelta(days=1)
    changes = sorted({j.job_start_date for j in employed if j.job_start_date > day})
    for segment_end in [*changes, None]:
        rate = sum((j.daily_pence for j in employed if j.job_start_date <= day), Fraction(0))
        days = math.ceil(need / rate) if rate > 0 else None
        if days is not None and (segment_end is None or (segment_end - day).days >= days):
            return day + timedelta(days=days - 1) if days <= HORIZON_DAYS else None
        if segment_end is None:
            return None
        need -= rate * (segment_end - day).days
        day = segment_end
    return None  # pragma: no cover  (the loop returns at its last segment)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def project_sustained(progress: Progress, jobs: Iterable[OpenJob], weeks: int) -> date | None:
    """The Sunday of the ``weeks``-th in-work week, counting the weeks already in work and
    then every week from the first Monday on or after the first uncovered day whose open
    employed jobs (started by its Monday) sum to at least ``weekly_hours_min``."""
    employed = sorted((j for j in jobs if j.employed), key=lambda j: j.job_start_date)
    first = _first_uncovered_day(progress.latest_employed_evidence_end, employed)
    if first is None:
        return None
    need = weeks - progress.in_work_weeks
    monday = _monday_on_or_after(first)
    if need <= 0:
        return monday - timedelta(days=1)
    changes = sorted({_monday_on_or_after(j.job_start_date) for j in employed})
    changes = [m for m in changes if m > monday]
    for segment_end in [*changes, None]:
        hours = sum((j.weekly_hours for j in employed if j.job_start_date <= monday), Decimal(0))
        in_work = hours >= progress.weekly_hours_min
        available = None if segment_end is None else (segment_end - monday).days // 7
        if in_work and (available is None or available >= need):
            return monday + timedelta(weeks=need - 1, days=6)
        if segment_end is None:
            return None
        if in_work:
            need -= available or 0
        monday = segment_end
    return None  # pragma: no cover


def project_self_employment(progress: Progress, jobs: Iterable[OpenJob]) -> date | None:
    """The 182nd covered day, the days after the latest self-employment evidence (or from
    the self-employed job's start) being covered continuously."""
    self_employed = [j for j in jobs if not j.employed]
    first = _first_uncovered_day(progress.latest_self_employment_end, self_employed)
    if first is None:
        return None
    return first + timedelta(days=SELF_EMPLOYMENT_DAYS - progress.self_employment_days - 1)


def project(
    milestone: MilestoneKind, window: Window, progress: Progress, jobs: Sequence[OpenJob]
) -> Projection:
    if milestone is MilestoneKind.EARNINGS_OUTCOME:
        day = project_earnings_outcome(progress, jobs)
    elif milestone is MilestoneKind.SELF_EMPLOYMENT_OUTCOME:
        day = project_self_employment(progress, jobs)
    elif milestone in SUSTAINED_WEEKS:
        day = project_sustained(progress, jobs, SUSTAINED_WEEKS[milestone])
    else:
        raise ValueError(f"{milestone} is not projected")
    return Projection(milestone, day, day is not None and window.contains(day))


def projections(
    window: Window,
    progress: Progress,
    jobs: Sequence[OpenJob],
    reached: Iterable[MilestoneKind],
    counted: Iterable[MilestoneKind] = PROJECTED_MILESTONES,
) -> tuple[Projection, ...]:
    """Projections of the ``counted`` milestones (those the contract pays) not reached.

    None while the participant has left, or with no open placement. An outcome reached
    (earnings or self-employment) leaves nothing to project for the other; a
    self-employment outcome is projected only with an open self-employed job, the others
    only with an open employed one.
    """
    if window.left_on is not None or not jobs:
        return ()
    done = set(reached)
    wanted = [m for m in PROJECTED_MILESTONES if m in set(counted) and m not in done]
    if done & OUTCOMES:
        wanted = [m for m in wanted if m not in OUTCOMES]
    employed = any(j.employed for j in jobs)
    self_employed = any(not j.employed for j in jobs)
    return tuple(
        project(m, window, progress, jobs)
        for m in wanted
        if (self_employed if m is MilestoneKind.SELF_EMPLOYMENT_OUTCOME else employed)
    )


def next_projection(found: Sequence[Projection]) -> Projection | None:
    """The milestone coming first: the earliest date on track (ties: §6 order), else the
    first one not on track."""
    on_track = [p for p in found if p.on_track]
    if on_track:
        return min(
            on_track, key=lambda p: (p.projected_on, PROJECTED_MILESTONES.index(p.milestone))
        )
    return found[0] if found else None


def evidence_due_since(jobs: Iterable[OpenJob]) -> date | None:
    """The earliest "evidence due since" day of the open placements: the latest counting
    evidence's period end (or the job start, without evidence) + 35 days. Evidence is due
    when today is after it (the period ended more than 35 days before today)."""
    return min(
        (
            (j.latest_evidence_end or j.job_start_date) + timedelta(days=EVIDENCE_GRACE_DAYS)
            for j in jobs
        ),
        default=None,
    )


def evidence_due(window: Window, since: date | None, today: date) -> bool:
    """§11: for a participant who has not left, while today is inside the window."""
    return since is not None and window.left_on is None and window.contains(today) and today > since
