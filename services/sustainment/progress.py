"""What the evidence counts so far for one participant (for the views, domain.md §11).

The same counting rules as the milestones (counting.py, weeks.py, self_employment.py),
summed up for projections: earnings counted toward T, in-work weeks, self-employment
days, and the latest counting evidence's period end, overall and per placement. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .counted import Counted, counted
from .facts import EvidenceFacts, ParticipantWindow, PlacementFacts
from .self_employment import counted_days


@dataclass(frozen=True)
class CountedSoFar:
    earnings_pence: int
    latest_employed_end: date | None
    in_work_weeks: int
    self_employment_days: int
    latest_self_employment_end: date | None
    latest_end_by_placement: tuple[tuple[str, date], ...]
    """(placement_id, latest counting period end), by placement_id."""


def counted_so_far(
    window: ParticipantWindow,
    placements: Sequence[PlacementFacts],
    evidence: Sequence[EvidenceFacts],
) -> CountedSoFar:
    return progress_of(counted(window, placements, evidence))


def progress_of(history: Counted) -> CountedSoFar:
    """:func:`counted_so_far` of what counts, worked out already (counted.py)."""
    window, counting = history.window, history.evidence
    employed = [c for c in counting if c.is_employed]
    self_employment = [c for c in counting if c.is_self_employment]
    covered: set[int] = set()
    for piece in self_employment:
        first, last = counted_days(window, piece)
        covered.update(range(first.toordinal(), last.toordinal() + 1))
    latest: dict[str, date] = {}
    for c in counting:
        pid = c.placement.placement_id
        latest[pid] = max(c.evidence.period_end, latest.get(pid, c.evidence.period_end))
    return CountedSoFar(
        earnings_pence=sum(c.evidence.gross_earnings_pence for c in employed),
        latest_employed_end=max((c.evidence.period_end for c in employed), default=None),
        in_work_weeks=len(history.in_work_weeks),
        self_employment_days=len(covered),
        latest_self_employment_end=max(
            (c.evidence.period_end for c in self_employment), default=None
        ),
        latest_end_by_placement=tuple(sorted(latest.items())),
    )
