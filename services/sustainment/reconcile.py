"""What to announce when the computed milestones differ from those already announced.

A milestone newly reached is announced as reached (its next occurrence); an active one
no longer reached is revoked; an active one still reached, on whatever date, is left as
first reached (domain.md §6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from schemas.common import MilestoneKind

from .facts import MilestoneFacts


@dataclass(frozen=True)
class RecordedMilestone:
    """What the service has already announced for one milestone kind."""

    milestone: MilestoneKind
    occurrence: int
    active: bool
    reached_on: date


@dataclass(frozen=True)
class MilestoneChange:
    kind: Literal["reached", "revoked"]
    milestone: MilestoneKind
    occurrence: int
    facts: MilestoneFacts | None


def reconcile(
    recorded: Mapping[MilestoneKind, RecordedMilestone],
    current: Mapping[MilestoneKind, MilestoneFacts],
) -> list[MilestoneChange]:
    """The changes to announce, revocations first, each group in MilestoneKind order.

    Revocations come first so that a consumer sees a milestone withdrawn before any
    milestone that replaces it in the same recomputation (e.g. an earnings outcome
    revoked while a self-employment outcome is reached).
    """
    revoked = [
        MilestoneChange("revoked", kind, before.occurrence, None)
        for kind in MilestoneKind
        if (before := recorded.get(kind)) is not None and before.active and kind not in current
    ]
    reached = [
        MilestoneChange("reached", kind, _next_occurrence(recorded.get(kind)), current[kind])
        for kind in MilestoneKind
        if kind in current and not _is_active(recorded.get(kind))
    ]
    return revoked + reached


def _is_active(before: RecordedMilestone | None) -> bool:
    return before is not None and before.active


def _next_occurrence(before: RecordedMilestone | None) -> int:
    return 1 if before is None else before.occurrence + 1
