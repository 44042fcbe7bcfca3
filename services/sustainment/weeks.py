"""``sustained_13w/26w/52w``: calendar weeks in work (domain.md §6, §9 "Overlaps").

A week runs Monday to Sunday and is keyed here by its Monday. Weekly hours are exact:
each piece of evidence adds hours x 7 / days-in-period to every week it overlaps, summed
as whole numbers of ``1/scale`` hundredths of an hour (``scale``: the least common
multiple of the periods' lengths, so every share is a whole number). No floats, and no
``Fraction`` per week either: the same comparisons at a fraction of the cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.common import MilestoneKind

from .counting import CountingEvidence
from .facts import EvidenceFacts, MilestoneFacts, ParticipantWindow, PlacementFacts

SUSTAINED_TARGETS: tuple[tuple[MilestoneKind, int], ...] = (
    (MilestoneKind.SUSTAINED_13W, 13),
    (MilestoneKind.SUSTAINED_26W, 26),
    (MilestoneKind.SUSTAINED_52W, 52),
)
SUNDAY_OFFSET = timedelta(days=6)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _monday_ordinals(first: date, last: date) -> range:
    """Ordinals of the Mondays of the calendar weeks the inclusive range first..last
    touches (empty when last's week is before first's)."""
    start = first.toordinal() - first.weekday()
    return range(start, last.toordinal() - last.weekday() + 1, 7)


def weeks_overlapped(first: date, last: date) -> list[date]:
    """Mondays of the calendar weeks that the inclusive range first..last touches."""
    return [date.fromordinal(n) for n in _monday_ordinals(first, last)]


@dataclass(frozen=True)
class WeeklyHours:
    """Per week (the ordinal of its Monday): the summed weekly rate of the employed
    counting evidence overlapping it, in units of ``1/scale`` hundredths of an hour."""

    units: dict[int, int]
    scale: int


def weekly_hours(counting: Sequence[CountingEvidence]) -> WeeklyHours:
    """The summed weekly rate per week of the employed evidence: each piece adds
    hours x 7 / days-in-period to every week it overlaps."""
    employed = [piece.evidence for piece in counting if piece.is_employed]
    scale = math.lcm(*{ev.period_days for ev in employed})
    units: dict[int, int] = {}
    for ev in employed:
        rate = ev.hours_hundredths * 7 * (scale // ev.period_days)
        for monday in _monday_ordinals(ev.period_start, ev.period_end):
            units[monday] = units.get(monday, 0) + rate
    return WeeklyHours(units, scale)


def in_work_weeks(window: ParticipantWindow, hours: WeeklyHours) -> list[date]:
    """Mondays, ascending, of in-work weeks whose Sunday is in the outcome window."""
    threshold = window.weekly_hours_min_hundredths * hours.scale
    mondays = (date.fromordinal(n) for n, total in hours.units.items() if total >= threshold)
    return sorted(monday for monday in mondays if window.contains(monday + SUNDAY_OFFSET))


def sustained_milestones(
    window: ParticipantWindow,
    first: PlacementFacts | None,
    counting: Sequence[CountingEvidence],
    weeks: Sequence[date] | None = None,
) -> list[MilestoneFacts]:
    """Each sustained milestone reached: on the Sunday of the 13th/26th/52nd in-work week.

    ``job_pays_llw`` and ``placement_id`` are the participant's first placement's; the
    lineage is the evidence overlapping the in-work weeks counted up to the target.
    ``weeks``: the in-work weeks when already known (:func:`in_work_weeks`).
    """
    if first is None:
        return []
    if weeks is None:
        weeks = in_work_weeks(window, weekly_hours(counting))
    reached: list[MilestoneFacts] = []
    for kind, target in SUSTAINED_TARGETS:
        if len(weeks) < target:
            break
        counted = weeks[:target]
        reached.append(
            MilestoneFacts(
                milestone=kind,
                reached_on=counted[-1] + SUNDAY_OFFSET,
                job_pays_llw=first.pays_llw,
                placement_id=first.placement_id,
                evidence_ids=_lineage(counting, counted),
            )
        )
    return reached


def _lineage(counting: Sequence[CountingEvidence], counted: Sequence[date]) -> tuple[str, ...]:
    """The ids of the employed evidence overlapping any of the ``counted`` weeks, sorted."""
    mondays = {monday.toordinal() for monday in counted}
    return tuple(
        sorted(
            {
                piece.evidence.evidence_id
                for piece in counting
                if piece.is_employed and _overlaps(piece.evidence, mondays)
            }
        )
    )


def _overlaps(ev: EvidenceFacts, mondays: set[int]) -> bool:
    return any(n in mondays for n in _monday_ordinals(ev.period_start, ev.period_end))
