"""What the evidence counts so far for one participant (for the views, domain.md §11).

The same counting rules as the milestones (counting.py, weeks.py, self_employment.py),
summed up for projections: earnings counted toward T, in-work weeks, self-employment
days, and the latest counting evidence's period end, overall and per placement. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .counting import counting_evidence
from .facts import EvidenceFacts, ParticipantWindow, PlacementFacts
from .self_employment import counted_days
from .weeks import in_work_weeks, weekly_hours


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
