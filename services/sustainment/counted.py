"""One participant's history as the counting rules see it, worked out once (domain.md §6).

The milestones (milestones.py) and the progress the views are told (progress.py) start
from the same things: the placements that may count, the counting evidence in (period
end, id) order and the in-work weeks. A transaction needs both for every participant it
touched, so :func:`counted` works these out once and both read them from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from .counting import CountingEvidence, counting_evidence
from .facts import EvidenceFacts, ParticipantWindow, PlacementFacts
from .weeks import in_work_weeks, weekly_hours


@dataclass(frozen=True)
class Counted:
    """What counts of one participant's history."""

    window: ParticipantWindow
    placements: list[PlacementFacts]
    """Those that may count: a job starting after the leaver date counts for nothing (§5)."""
    evidence: list[CountingEvidence]
    """The counting evidence, ordered by (period end, evidence_id)."""

    @cached_property
    def in_work_weeks(self) -> list[date]:
        """Mondays, ascending, of the in-work weeks whose Sunday is in the window."""
        return in_work_weeks(self.window, weekly_hours(self.evidence))


def counted(
    window: ParticipantWindow,
    placements: Sequence[PlacementFacts],
    evidence: Sequence[EvidenceFacts],
) -> Counted:
    """What counts: the placements the window allows, and the evidence that counts."""
    allowed = [p for p in placements if window.allows_job_start(p.job_start_date)]
    return Counted(window, allowed, counting_evidence(window, allowed, evidence))
