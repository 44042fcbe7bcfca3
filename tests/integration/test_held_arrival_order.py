"""Arrival order within one key survives the hold, on real PostgreSQL with the real
handlers (sustainment, placement, intake) (domain.md §9 "Evidence versions": the first of two equal
versions stands). The feed's seed-99 case: v1 and a first v2 held for their placement,
then one batch with the placement and a second, different v2."""

from __future__ import annotations

from datetime import date

import pytest

from schemas.common import MilestoneKind
from schemas.intake import ParticipantLeft
from schemas.placement import PlacementConfirmed
from schemas.rejections import EventRejected
from schemas.sustainment import MilestoneReached
from tests.builders import (
    PLACEMENT,
    PROVIDER,
    evidence,
    job_start,
    participant_started,
    placement_confirmed,
    programme_end,
    programme_start,
    referral,
    retraction,
)
from tests.integration.conftest import ServiceHarness, of_type

pytestmark = pytest.mark.integration

START, END = date(2024, 4, 15), date(2024, 5, 14)


async def stored(sustainment: ServiceHarness, evidence_id: str) -> tuple[int, int, bool]:
    row = await sustainment.pool.fetchrow(
        "SELECT version, gross_earnings_pence, retracted FROM evidence WHERE evidence_id = $1",
        evidence_id,
    )
    assert row is not None
    return (row["version"], row["gross_earnings_pence"], row["retracted"])


async def test_the_first_of_two_equal_versions_stands_after_the_hold(
    sustainment: ServiceHarness,
) -> None:
    v1 = evidence("ev-1", START, END, 100_000, version=1)
    v2a = evidence("ev-1", START, END, 500_000, version=2)  # crosses the earnings threshold
    v2b = evidence("ev-1", START, END, 200_000, version=2)
    await sustainment.send(participant_started())
    await sustainment.send(v1)
    await sustainment.send(v2a)
    # held under their inbox identity: the provider and the event id (v3 §9)
    assert sorted(await sustainment.held()) == sorted(
        [f"{PROVIDER}:{v1.event_id}", f"{PROVIDER}:{v2a.event_id}"]
    )
    subjects = await sustainment.pool.fetch("SELECT subject, waiting_for FROM held")
    assert {(r["subject"], r["waiting_for"]) for r in subjects} == {
        (f"evidence:{PROVIDER}:ev-1", f"placement:{PROVIDER}:{PLACEMENT}")
    }
    await sustainment.new_output()

    # one batch: the placement, and a second v2 -- held behind v1 and v2a, then all
    # three released in arrival order
    report = await sustainment.send(placement_confirmed(), v2b)

    assert report.rejected == 0
    assert await sustainment.held() == []
    assert await stored(sustainment, "ev-1") == (2, 500_000, False)
    reached = {m.milestone: m for m in of_type(await sustainment.new_output(), MilestoneReached)}
    assert reached[MilestoneKind.EARNINGS_OUTCOME].evidence_ids == ("ev-1",)


async def test_a_retraction_in_the_releasing_batch_applies_after_the_held_version(
    sustainment: ServiceHarness,
) -> None:
    v1 = evidence("ev-2", START, END, 500_000, version=1)
    await sustainment.send(participant_started())
    await sustainment.send(v1)
    await sustainment.send(placement_confirmed(), retraction("ev-2"))
    assert await sustainment.held() == []
    assert await stored(sustainment, "ev-2") == (1, 500_000, True)
    # v1 was applied and retracted in one transaction: no milestone on it (§6)
    reached = of_type(await sustainment.new_output(), MilestoneReached)
    assert MilestoneKind.EARNINGS_OUTCOME not in {m.milestone for m in reached}


async def test_the_first_of_two_job_starts_with_one_placement_id_stands_after_the_hold(
    placement: ServiceHarness,
) -> None:
    first = job_start(job_start_date=date(2024, 4, 15))
    second = job_start(job_start_date=date(2024, 4, 22))  # the id re-used, other content
    await placement.send(first)  # held: the participant has not started
    report = await placement.send(participant_started(), second)
    assert report.rejected == 1
    assert await placement.held() == []
    output = await placement.new_output()
    [confirmed_job] = of_type(output, PlacementConfirmed)
    assert confirmed_job.job_start_date == date(2024, 4, 15)
    [rejected] = of_type(output, EventRejected)
    assert (rejected.source_event_id, rejected.reason) == (str(second.event_id), "invalid_job")


async def test_the_first_of_two_leaver_dates_stands_after_the_hold(intake: ServiceHarness) -> None:
    first = programme_end(end_date=date(2024, 9, 30))
    second = programme_end(end_date=date(2024, 10, 31))
    await intake.send(referral())
    await intake.send(first)  # held: not started yet
    report = await intake.send(programme_start(), second)
    assert report.rejected == 1
    output = await intake.new_output()
    [left] = of_type(output, ParticipantLeft)
    assert left.end_date == date(2024, 9, 30)
    [rejected] = of_type(output, EventRejected)
    assert (rejected.source_event_id, rejected.reason) == (
        str(second.event_id),
        "after_programme_end",
    )
