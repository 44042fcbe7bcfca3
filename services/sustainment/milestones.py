"""Milestones from the whole set of counting evidence (domain.md §6).

``compute_milestones`` is a pure function of the set it is given: the arrival order of
placements and evidence never changes its result.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.common import MilestoneKind

from .counted import Counted, counted
from .counting import CountingEvidence
from .facts import (
    EvidenceFacts,
    MilestoneFacts,
    ParticipantWindow,
    PlacementFacts,
    first_placement,
)
from .self_employment import self_employment_outcome
from .weeks import sustained_milestones


def compute_milestones(
    window: ParticipantWindow,
    placements: Sequence[PlacementFacts],
    evidence: Sequence[EvidenceFacts],
) -> dict[MilestoneKind, MilestoneFacts]:
    """Every milestone the participant has reached, keyed by kind, in declaration order.

    A placement whose job starts after the leaver date counts for nothing (§5: it is
    withdrawn when the leaver arrives), whether or not its withdrawal has arrived yet.
    """
    return milestones_of(counted(window, placements, evidence))


def milestones_of(history: Counted) -> dict[MilestoneKind, MilestoneFacts]:
    """:func:`compute_milestones` of what counts, worked out already (counted.py)."""
    window, counting = history.window, history.evidence
    first = first_placement(history.placements)
    candidates = (
        job_start(first),
        first_earnings(counting),
        earnings_outcome(window, counting),
        self_employment_outcome(window, counting),
        *sustained_milestones(window, first, counting, history.in_work_weeks),
    )
    reached = {facts.milestone: facts for facts in candidates if facts is not None}
    return {kind: reached[kind] for kind in _KINDS if kind in reached}


_KINDS: tuple[MilestoneKind, ...] = tuple(MilestoneKind)
"""Declaration order (iterating the enum itself is slower, and this runs per participant)."""


def job_start(first: PlacementFacts | None) -> MilestoneFacts | None:
    """Reached on the job start date of the first placement, if any placement is confirmed."""
    if first is None:
        return None
    return MilestoneFacts(
        milestone=MilestoneKind.JOB_START,
        reached_on=first.job_start_date,
        job_pays_llw=first.pays_llw,
        placement_id=first.placement_id,
        evidence_ids=(),
    )


def first_earnings(counting: Sequence[CountingEvidence]) -> MilestoneFacts | None:
    """The first counting evidence of any kind with earnings > 0, by (period end, id)."""
    paid = [c for c in counting if c.evidence.gross_earnings_pence > 0]
    if not paid:
        return None
    first = min(paid, key=lambda c: c.order_key)
    return MilestoneFacts(
        milestone=MilestoneKind.FIRST_EARNINGS,
        reached_on=first.evidence.period_end,
        job_pays_llw=first.placement.pays_llw,
        placement_id=first.placement.placement_id,
        evidence_ids=(first.evidence.evidence_id,),
    )


def earnings_outcome(
    window: ParticipantWindow, counting: Sequence[CountingEvidence]
) -> MilestoneFacts | None:
    """Earnings of employed placements, summed in (period end, id) order, reach T.

    Reached on the period end of the crossing evidence; its placement is the outcome job.
    The lineage is every piece summed, up to and including the crossing evidence.
    """
    threshold = window.earnings_threshold_pence
    summed: list[CountingEvidence] = []
    total = 0
    for piece in sorted((c for c in counting if c.is_employed), key=lambda c: c.order_key):
        summed.append(piece)
        total += piece.evidence.gross_earnings_pence
        if total >= threshold:
            return MilestoneFacts(
                milestone=MilestoneKind.EARNINGS_OUTCOME,
                reached_on=piece.evidence.period_end,
                job_pays_llw=piece.placement.pays_llw,
                placement_id=piece.placement.placement_id,
                evidence_ids=tuple(sorted(c.evidence.evidence_id for c in summed)),
            )
    return None
