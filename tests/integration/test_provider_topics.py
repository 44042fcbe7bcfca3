"""The topic says who sent an event: a claim of another provider is ``provider_mismatch``,
and a provider's rejections go to that provider's own rejection topic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas.intake import ParticipantStarted
from schemas.placement import PlacementConfirmed
from schemas.rejections import EventRejected
from schemas.topics import PARTICIPANTS
from tests.builders import (
    PROVIDER,
    job_start,
    participant_started,
    programme_end,
    programme_start,
    referral,
)
from tests.integration.conftest import ServiceHarness, of_type, rejection_summary

pytestmark = pytest.mark.integration

OTHER = "prov-whp-west"


async def test_a_referral_claiming_another_provider_is_a_provider_mismatch(
    intake: ServiceHarness,
) -> None:
    # given provider B sends, on B's own topic, a referral and a start that claim to be A's
    forged = intake.feed.record(referral(provider_id=PROVIDER), provider_id=OTHER)
    start = intake.feed.record(programme_start(provider_id=PROVIDER), provider_id=OTHER)
    report = await intake.processor.process([forged, start])

    # then both are rejected provider_mismatch onto B's rejection topic, nothing else happens
    output = await intake.new_output()
    assert [(r.topic, rejection_summary(r.event)) for r in output] == [
        (f"provider.{OTHER}.rejections.v1", ("provider_mismatch", forged.topic, 0, 0)),
        (f"provider.{OTHER}.rejections.v1", ("provider_mismatch", start.topic, 0, 1)),
    ]
    assert all(r.event.provider_id == OTHER for r in output)
    assert (report.rejected, report.held) == (2, 0)
    assert await intake.held() == []


async def test_a_leaver_claiming_another_provider_does_not_end_its_participant(
    intake: ServiceHarness,
) -> None:
    # given A's participant started
    await intake.send(referral(), programme_start())
    await intake.new_output()

    # when B, on B's topic, sends A's programme end with A's provider id
    await intake.processor.process(
        [intake.feed.record(programme_end(provider_id=PROVIDER), provider_id=OTHER)]
    )

    # then it is rejected onto B's rejection topic and no ParticipantLeft is published
    output = await intake.new_output()
    assert [r.topic for r in output] == [f"provider.{OTHER}.rejections.v1"]
    assert [r.reason for r in of_type(output, EventRejected)] == ["provider_mismatch"]
    assert not of_type(output, ParticipantStarted)


async def test_placement_rejections_of_provider_input_go_to_that_providers_topic(
    placement: ServiceHarness,
) -> None:
    # given a participant of A; when B (honestly naming itself) sends a job start whose
    # hours break the rules, and a copy of A's job start on B's own topic
    await placement.send(participant_started())
    await placement.send(job_start(provider_id=OTHER, weekly_hours=Decimal("101")))
    copy = placement.feed.record(job_start(), provider_id=OTHER)
    await placement.processor.process([copy])

    # then the rejections land on B's rejection topic, not on A's nor on placement's own
    output = await placement.new_output()
    rejected = [r for r in output if isinstance(r.event, EventRejected)]
    assert [(r.topic, r.event.reason) for r in rejected] == [
        (f"provider.{OTHER}.rejections.v1", "invalid_job"),
        (f"provider.{OTHER}.rejections.v1", "provider_mismatch"),
    ]
    assert not of_type(output, PlacementConfirmed)


async def test_rejections_of_internal_inputs_stay_on_the_services_own_topic(
    placement: ServiceHarness,
) -> None:
    # when placement receives an internal participant event it cannot decode
    await placement.processor.process([placement.feed.raw(PARTICIPANTS, b"{}", key="p")])

    # then its rejection is on placement.rejections.v1 (for operators, not providers)
    output = await placement.new_output()
    assert [(r.topic, r.event.reason) for r in output] == [
        ("placement.rejections.v1", "invalid_schema")
    ]
