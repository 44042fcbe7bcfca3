"""The sustained-weeks, self-employment and progress rules as first written (before the
third session's speed work): ``Fraction`` weekly hours, sets of ``date``, and the
milestones and progress each counting the history on their own.

Kept only as the oracle of tests/unit/test_sustainment_fast_counting.py: the rules in
services/sustainment/ must give exactly these answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction

from schemas.common import MilestoneKind, RejectionReason
from services.sustainment.counting import CountingEvidence, counting_evidence
from services.sustainment.facts import (
    EvidenceFacts,
    MilestoneFacts,
    ParticipantWindow,
    PlacementFacts,
    first_placement,
)
from services.sustainment.milestones import earnings_outcome, first_earnings, job_start
from services.sustainment.progress import CountedSoFar
from services.sustainment.self_employment import (
    SELF_EMPLOYMENT_DAYS,
    _claimed_in_time,
    counted_days,
)
from services.sustainment.weeks import SUNDAY_OFFSET, SUSTAINED_TARGETS, monday_of


def weeks_overlapped(first: date, last: date) -> list[date]:
    monday, end = monday_of(first), monday_of(last)
    return [monday + timedelta(weeks=n) for n in range((end - monday).days // 7 + 1)]


def weekly_hours(
    counting: Sequence[CountingEvidence],
) -> tuple[dict[date, Fraction], dict[date, set[str]]]:
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


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def self_employment_outcome(
    window: ParticipantWindow, counting: Sequence[CountingEvidence]
) -> MilestoneFacts | None:
    spans = [
        (piece, *counted_days(window, piece)) for piece in counting if piece.is_self_employment
    ]
    covered: set[date] = set()
    for _, first, last in spans:
        covered |= _days(first, last)
    if len(covered) < SELF_EMPLOYMENT_DAYS:
        return None
    reached = sorted(covered)[SELF_EMPLOYMENT_DAYS - 1]
    completing = min(
        (piece for piece, first, last in spans if first <= reached <= last),
        key=lambda piece: (piece.evidence.reported_on, piece.evidence.evidence_id),
    )
    in_time = _claimed_in_time(window, reached, completing.evidence.reported_on)
    lineage = sorted(piece.evidence.evidence_id for piece, first, _ in spans if first <= reached)
    return MilestoneFacts(
        milestone=MilestoneKind.SELF_EMPLOYMENT_OUTCOME,
        reached_on=reached,
        job_pays_llw=False,
        placement_id=completing.placement.placement_id,
        evidence_ids=tuple(lineage),
        payable=in_time,
        not_payable_reason=None if in_time else RejectionReason.CLAIM_LATE,
    )


def compute_milestones(
    window: ParticipantWindow,
    placements: Sequence[PlacementFacts],
    evidence: Sequence[EvidenceFacts],
) -> dict[MilestoneKind, MilestoneFacts]:
    placements = [p for p in placements if window.allows_job_start(p.job_start_date)]
    counting = counting_evidence(window, placements, evidence)
    first = first_placement(placements)
    candidates = (
        job_start(first),
        first_earnings(counting),
        earnings_outcome(window, counting),
        self_employment_outcome(window, counting),
        *sustained_milestones(window, first, counting),
    )
    reached = {facts.milestone: facts for facts in candidates if facts is not None}
    return {kind: reached[kind] for kind in MilestoneKind if kind in reached}


def counted_so_far(
    window: ParticipantWindow,
    placements: Sequence[PlacementFacts],
    evidence: Sequence[EvidenceFacts],
) -> CountedSoFar:
    placements = [p for p in placements if window.allows_job_start(p.job_start_date)]
    counting = counting_evidence(window, placements, evidence)
    employed = [c for c in counting if c.is_employed]
    self_employment = [c for c in counting if c.is_self_employment]
    hours, _ = weekly_hours(counting)
    covered: set[date] = set()
    for piece in self_employment:
        first, last = counted_days(window, piece)
        covered |= {first + timedelta(days=n) for n in range((last - first).days + 1)}
    latest: dict[str, date] = {}
    for c in counting:
        pid = c.placement.placement_id
        latest[pid] = max(c.evidence.period_end, latest.get(pid, c.evidence.period_end))
    return CountedSoFar(
        earnings_pence=sum(c.evidence.gross_earnings_pence for c in employed),
        latest_employed_end=max((c.evidence.period_end for c in employed), default=None),
        in_work_weeks=len(in_work_weeks(window, hours)),
        self_employment_days=len(covered),
        latest_self_employment_end=max(
            (c.evidence.period_end for c in self_employment), default=None
        ),
        latest_end_by_placement=tuple(sorted(latest.items())),
    )
