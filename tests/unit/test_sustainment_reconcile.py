"""Sustainment domain: reconcile computed milestones with those already announced."""

from __future__ import annotations

from datetime import date

from schemas.common import MilestoneKind
from services.sustainment.domain import (
    MilestoneChange,
    MilestoneFacts,
    RecordedMilestone,
    reconcile,
)

JOB, FIRST, EARN = (
    MilestoneKind.JOB_START,
    MilestoneKind.FIRST_EARNINGS,
    MilestoneKind.EARNINGS_OUTCOME,
)
SE = MilestoneKind.SELF_EMPLOYMENT_OUTCOME


def facts(kind: MilestoneKind, on: date = date(2024, 5, 31)) -> MilestoneFacts:
    return MilestoneFacts(kind, on, False, "p1", ("e1",))


def recorded(
    kind: MilestoneKind, occurrence: int = 1, active: bool = True, on: date = date(2024, 5, 31)
) -> RecordedMilestone:
    return RecordedMilestone(kind, occurrence, active, on)


def test_first_reached_is_occurrence_1_in_declaration_order() -> None:
    current = {FIRST: facts(FIRST), JOB: facts(JOB)}
    assert reconcile({}, current) == [
        MilestoneChange("reached", JOB, 1, current[JOB]),
        MilestoneChange("reached", FIRST, 1, current[FIRST]),
    ]


def test_still_reached_is_no_change() -> None:
    assert reconcile({EARN: recorded(EARN)}, {EARN: facts(EARN)}) == []


def test_no_longer_reached_is_revoked_with_the_same_occurrence() -> None:
    assert reconcile({EARN: recorded(EARN, occurrence=2)}, {}) == [
        MilestoneChange("revoked", EARN, 2, None)
    ]


def test_reached_again_after_a_revocation_is_occurrence_2() -> None:
    current = {EARN: facts(EARN, date(2024, 7, 31))}
    assert reconcile({EARN: recorded(EARN, active=False)}, current) == [
        MilestoneChange("reached", EARN, 2, current[EARN])
    ]


def test_a_moved_date_stays_as_first_reached() -> None:
    current = {EARN: facts(EARN, date(2024, 8, 31))}
    assert reconcile({EARN: recorded(EARN, on=date(2024, 5, 31))}, current) == []


def test_revoked_and_still_absent_is_no_change() -> None:
    assert reconcile({EARN: recorded(EARN, active=False)}, {}) == []


def test_revocations_come_before_reached() -> None:
    current = {JOB: facts(JOB), SE: facts(SE)}
    changes = reconcile({JOB: recorded(JOB), EARN: recorded(EARN)}, current)
    assert changes == [
        MilestoneChange("revoked", EARN, 1, None),
        MilestoneChange("reached", SE, 1, current[SE]),
    ]


def test_a_full_revoke_and_reach_again_cycle() -> None:
    state: dict[MilestoneKind, RecordedMilestone] = {}
    history: list[tuple[str, int]] = []
    for current in ({EARN: facts(EARN)}, {}, {EARN: facts(EARN)}, {}):
        for change in reconcile(state, current):
            history.append((change.kind, change.occurrence))
            active = change.kind == "reached"
            state[change.milestone] = RecordedMilestone(
                change.milestone, change.occurrence, active, date(2024, 5, 31)
            )
    assert history == [("reached", 1), ("revoked", 1), ("reached", 2), ("revoked", 2)]
