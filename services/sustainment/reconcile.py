"""What to announce when the computed milestones differ from those already announced.

A milestone newly reached is announced as reached (its next occurrence); an active one
no longer reached is revoked. An active one still reached keeps the date on which it was
first reached (domain.md §6) -- unless the money it is due changed (§7: amount,
``payable`` or the reason it is not): then it is revoked and reached again as a new
occurrence, still on its first reached date, so payments reverses and pays again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from schemas.common import MilestoneKind, RejectionReason

from .facts import MilestoneFacts


@dataclass(frozen=True)
class RecordedMilestone:
    """What the service has already announced for one milestone kind."""

    milestone: MilestoneKind
    occurrence: int
    active: bool
    reached_on: date
    amount_due_pence: int = 0
    payable: bool = True
    not_payable_reason: RejectionReason | None = None

    @property
    def money(self) -> tuple[int, bool, RejectionReason | None]:
        return (self.amount_due_pence, self.payable, self.not_payable_reason)


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
    revoked while a self-employment outcome is reached, or the same milestone paid
    again at a new amount).
    """
    revoked: list[MilestoneChange] = []
    reached: list[MilestoneChange] = []
    for kind in MilestoneKind:
        before, now = recorded.get(kind), current.get(kind)
        active = before is not None and before.active
        if before is not None and active and now is None:
            revoked.append(MilestoneChange("revoked", kind, before.occurrence, None))
        elif before is not None and active and now is not None and before.money != now.money:
            revoked.append(MilestoneChange("revoked", kind, before.occurrence, None))
            again = replace(now, reached_on=before.reached_on)
            reached.append(MilestoneChange("reached", kind, before.occurrence + 1, again))
        elif now is not None and not active:
            occurrence = 1 if before is None else before.occurrence + 1
            reached.append(MilestoneChange("reached", kind, occurrence, now))
    return revoked + reached


def recorded_after(change: MilestoneChange, before: RecordedMilestone | None) -> RecordedMilestone:
    """The record of a milestone once ``change`` is announced."""
    if change.kind == "revoked":
        assert before is not None
        return replace(before, active=False)
    facts = change.facts
    assert facts is not None
    return RecordedMilestone(
        change.milestone,
        change.occurrence,
        True,
        facts.reached_on,
        facts.amount_due_pence,
        facts.payable,
        facts.not_payable_reason,
    )
