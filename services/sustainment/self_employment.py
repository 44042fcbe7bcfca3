"""``self_employment_outcome``: 182 days of self-employment evidence (domain.md §6, §9)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from schemas.common import MilestoneKind, RejectionReason

from .counting import CountingEvidence
from .facts import MilestoneFacts, ParticipantWindow

SELF_EMPLOYMENT_DAYS = 182
CLAIM_DAYS_AFTER_REACHED = 90
CLAIM_LAST_PROGRAMME_DAY = 700


def counted_days(window: ParticipantWindow, piece: CountingEvidence) -> tuple[date, date]:
    """First and last day of the piece's period that count: inside the outcome window and
    on or after its placement's job start. Never empty for counting evidence."""
    first = max(piece.evidence.period_start, window.start_date, piece.placement.job_start_date)
    last = min(piece.evidence.period_end, window.last_day)
    return first, last


def self_employment_outcome(
    window: ParticipantWindow, counting: Sequence[CountingEvidence]
) -> MilestoneFacts | None:
    """Reached on the 182nd day of the union of counted self-employment days.

    The completing evidence is, of the counting evidence covering that day, the one
    reported first (ties: lowest evidence_id). Payable only if it was reported no later
    than that day + 90 days and no later than programme day 700 (both inclusive).
    The lineage is the counting self-employment evidence with a counted day on or before
    the 182nd day.
    """
    spans = [
        (piece, *counted_days(window, piece)) for piece in counting if piece.is_self_employment
    ]
    covered: set[int] = set()  # the days' ordinals
    for _, first, last in spans:
        covered.update(range(first.toordinal(), last.toordinal() + 1))
    if len(covered) < SELF_EMPLOYMENT_DAYS:
        return None
    reached = date.fromordinal(sorted(covered)[SELF_EMPLOYMENT_DAYS - 1])
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


def _claimed_in_time(window: ParticipantWindow, reached: date, reported_on: date) -> bool:
    """``reported_on <= reached + 90 days`` and ``reported_on <= start + 700 days``."""
    claim_by = reached + timedelta(days=CLAIM_DAYS_AFTER_REACHED)
    programme_claim_by = window.start_date + timedelta(days=CLAIM_LAST_PROGRAMME_DAY)
    return reported_on <= claim_by and reported_on <= programme_claim_by
