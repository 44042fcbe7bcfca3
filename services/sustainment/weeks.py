"""``sustained_13w/26w/52w``: calendar weeks in work (domain.md §6, §9 "Overlaps").

A week runs Monday to Sunday and is keyed here by its Monday. Weekly hours are exact
fractions of hundredths of an hour; no floats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction

from schemas.common import MilestoneKind

from .counting import CountingEvidence
from .facts import MilestoneFacts, ParticipantWindow, PlacementFacts

SUSTAINED_TARGETS: tuple[tuple[MilestoneKind, int], ...] = (
    (MilestoneKind.SUSTAINED_13W, 13),
    (MilestoneKind.SUSTAINED_26W, 26),
    (MilestoneKind.SUSTAINED_52W, 52),
)
SUNDAY_OFFSET = timedelta(days=6)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_overlapped(first: date, last: date) -> list[date]:
    """Mondays of the calendar weeks that the inclusive range first..last touches."""
    monday, end = monday_of(first), monday_of(last)
    return [monday + timedelta(weeks=n) for n in range((end - monday).days // 7 + 1)]


def weekly_hours(
    counting: Sequence[CountingEvidence],
) -> tuple[dict[date, Fraction], dict[date, set[str]]]:
    """Per week: the summed weekly rate (hundredths) of the employed evidence overlapping it,
    and the ids of that evidence. Each piece adds hours x 7 / days-in-period to every week
    it overlaps."""
    hours: dict[date, Fraction] = defaultdict(Fraction)
    sources: dict[date, set[str]] = defaultdict(set)
    for piece in counting:
        if not piece.is_employed:
            continue
        ev = piece.evidence
        rate = Fraction(ev.hours_hundredths * 7, ev.period_days)
        for monday in weeks_overlapped(ev.period_start, ev.period_end):
            hours[monday] += rate
            sources[monday].add(ev.evidence_id)
    return hours, sources


def in_work_weeks(window: ParticipantWindow, hours: dict[date, Fraction]) -> list[date]:
    """Mondays, ascending, of in-work weeks whose Sunday is in the outcome window."""
    minimum = window.weekly_hours_min_hundredths
    return sorted(
        monday
        for monday, total in hours.items()
        if total >= minimum and window.contains(monday + SUNDAY_OFFSET)
    )


def sustained_milestones(
    window: ParticipantWindow,
    first: PlacementFacts | None,
    counting: Sequence[CountingEvidence],
) -> list[MilestoneFacts]:
    """Each sustained milestone reached: on the Sunday of the 13th/26th/52nd in-work week.

    ``job_pays_llw`` and ``placement_id`` are the participant's first placement's; the
    lineage is the evidence overlapping the in-work weeks counted up to the target.
    """
    if first is None:
        return []
    hours, sources = weekly_hours(counting)
    weeks = in_work_weeks(window, hours)
    reached: list[MilestoneFacts] = []
    for kind, target in SUSTAINED_TARGETS:
        if len(weeks) < target:
            break
        counted = weeks[:target]
        lineage: set[str] = set()
        for monday in counted:
            lineage |= sources[monday]
        reached.append(
            MilestoneFacts(
                milestone=kind,
                reached_on=counted[-1] + SUNDAY_OFFSET,
                job_pays_llw=first.pays_llw,
                placement_id=first.placement_id,
                evidence_ids=tuple(sorted(lineage)),
            )
        )
    return reached
