"""Placement on real PostgreSQL: job starts -> confirmed placements with wage flags."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from schemas.common import EmploymentType
from schemas.placement import PlacementConfirmed, PlacementEnded
from schemas.provider import JobEnded
from schemas.rejections import EventRejected
from tests.builders import (
    PARTICIPANT,
    PLACEMENT,
    PROVIDER,
    job_start,
    new_id,
    participant_left,
    participant_started,
)
from tests.integration.conftest import (
    PRODUCED_AT,
    PROGRAMME_START,
    ServiceHarness,
    meaningful,
    of_type,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def started(placement: ServiceHarness) -> ServiceHarness:
    """Placement, given that the participant started on PROGRAMME_START (2024-04-01)."""
    await placement.send(participant_started())
    assert await placement.new_output() == []
    return placement


def reasons(output: list[EventRejected]) -> list[str]:
    return [r.reason.value for r in output]


@pytest.mark.parametrize(
    ("job_start_date", "wage", "pays_llw", "below_minimum_wage"),
    [
        pytest.param(date(2024, 11, 1), 1385, True, False, id="llw-2024-met"),
        pytest.param(date(2024, 11, 1), 1384, False, False, id="llw-2024-missed"),
        pytest.param(date(2024, 10, 31), 1385, True, False, id="llw-2023-still-in-force"),
        pytest.param(date(2024, 10, 31), 1314, False, False, id="llw-2023-missed"),
        pytest.param(date(2024, 6, 10), 1100, False, True, id="below-nlw-2024"),
        pytest.param(date(2024, 6, 10), 1144, False, False, id="nlw-2024-met"),
    ],
)
async def test_confirmed_placement_carries_llw_and_minimum_wage_flags(
    started: ServiceHarness,
    job_start_date: date,
    wage: int,
    pays_llw: bool,
    below_minimum_wage: bool,
) -> None:
    # when the provider reports a job start
    job = job_start(job_start_date=job_start_date, hourly_wage_pence=wage)
    await started.send(job)

    # then it is confirmed with the flags of the rates in force on the job start date
    output = await started.new_output()
    assert [meaningful(e) for e in of_type(output, PlacementConfirmed)] == [
        {
            "type": "placement_confirmed",
            "participant_id": PARTICIPANT,
            "placement_id": PLACEMENT,
            "referral_id": job.referral_id,
            "provider_id": PROVIDER,
            "contract_id": "whp-central",
            "job_start_date": job_start_date,
            "employment_type": EmploymentType.EMPLOYED,
            "hourly_wage_pence": wage,
            "weekly_hours": Decimal("37.5"),
            "pays_llw": pays_llw,
            "below_minimum_wage": below_minimum_wage,
            "sic_sector": "retail",
            "employer_name": "Camden Market Ltd",
            "source_produced_at": job.produced_at,
        }
    ]
    assert [(r.topic, r.key) for r in output] == [("placement.placements.v1", PARTICIPANT)]


async def test_self_employed_placement_has_no_wage_flags(started: ServiceHarness) -> None:
    await started.send(
        job_start(employment_type=EmploymentType.SELF_EMPLOYED, hourly_wage_pence=None)
    )

    [confirmed] = of_type(await started.new_output(), PlacementConfirmed)
    assert (confirmed.pays_llw, confirmed.below_minimum_wage) == (False, False)


async def test_a_job_start_from_another_provider_names_that_providers_own_referral(
    started: ServiceHarness,
) -> None:
    # ids are the sender's own (v3 §9): prov-whp-local's ref-1 is not central's ref-1
    job = job_start(provider_id="prov-whp-local")
    report = await started.send(job)

    assert report.held == 1
    assert await started.held() == [f"prov-whp-local:{job.event_id}"]
    assert await started.new_output() == []
    assert await started.table("placements") == []


@pytest.mark.parametrize(
    ("job_start_date", "expected"),
    [
        pytest.param(
            PROGRAMME_START - timedelta(days=1), ["placement_outside_window"], id="before"
        ),
        pytest.param(PROGRAMME_START, [], id="day-0"),
        pytest.param(PROGRAMME_START + timedelta(days=455), [], id="day-455"),
        pytest.param(
            PROGRAMME_START + timedelta(days=456), ["placement_outside_window"], id="day-456"
        ),
    ],
)
async def test_job_start_must_be_within_456_days_of_programme_start(
    started: ServiceHarness, job_start_date: date, expected: list[str]
) -> None:
    await started.send(job_start(job_start_date=job_start_date))

    output = await started.new_output()
    assert reasons(of_type(output, EventRejected)) == expected
    assert len(of_type(output, PlacementConfirmed)) == (0 if expected else 1)


async def test_job_start_after_the_leaver_date_is_after_programme_end(
    started: ServiceHarness,
) -> None:
    # given the participant left on 2024-06-30
    await started.send(participant_left(end_date=date(2024, 6, 30)))

    # when jobs start on the leaver date and the day after
    await started.send(
        job_start("plc-on-leaver-date", job_start_date=date(2024, 6, 30)),
        job_start("plc-after", job_start_date=date(2024, 7, 1)),
    )

    output = await started.new_output()
    assert [c.placement_id for c in of_type(output, PlacementConfirmed)] == ["plc-on-leaver-date"]
    assert reasons(of_type(output, EventRejected)) == ["after_programme_end"]


async def test_placement_id_reused_with_other_content_is_an_invalid_job(
    started: ServiceHarness,
) -> None:
    # given a confirmed placement
    job = job_start()
    await started.send(job)
    await started.new_output()

    # when the same job is re-sent under a new event id, and then the id re-used for another job
    await started.send(
        job.model_copy(update={"event_id": new_id(), "produced_at": PRODUCED_AT + timedelta(1)}),
        job_start(hourly_wage_pence=1500),
    )

    # then the re-send has no effect and the re-use is rejected
    output = await started.new_output()
    assert reasons(of_type(output, EventRejected)) == ["invalid_job"]
    assert of_type(output, EventRejected)[0].source_offset == 2
    assert len(output) == 1


async def test_job_end_publishes_placement_ended(started: ServiceHarness) -> None:
    await started.send(job_start())
    await started.new_output()

    await started.send(
        JobEnded(
            event_id=new_id(),
            produced_at=PRODUCED_AT,
            provider_id=PROVIDER,
            placement_id=PLACEMENT,
            end_date=date(2024, 8, 31),
        )
    )

    output = await started.new_output()
    assert [meaningful(e) for e in of_type(output, PlacementEnded)] == [
        {
            "type": "placement_ended",
            "participant_id": PARTICIPANT,
            "placement_id": PLACEMENT,
            "provider_id": PROVIDER,
            "end_date": date(2024, 8, 31),
        }
    ]
