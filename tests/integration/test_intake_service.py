"""Intake on real PostgreSQL: referrals, starts and leavers -> pseudonymous participants."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Any

import pytest

from schemas.intake import ParticipantLeft, ParticipantStarted
from schemas.rejections import EventRejected
from tests.builders import PROVIDER, REFERRAL, programme_end, programme_start, referral
from tests.integration.conftest import (
    PARTICIPANT_KEY,
    ServiceHarness,
    meaningful,
    of_type,
    rejection_summary,
)

pytestmark = pytest.mark.integration

NINO = "AB123456C"
PARTICIPANT_ID = hmac.new(PARTICIPANT_KEY, NINO.encode(), hashlib.sha256).hexdigest()


def expected_start(referral_id: str = REFERRAL) -> dict[str, Any]:
    return {
        "type": "participant_started",
        "participant_id": PARTICIPANT_ID,
        "referral_id": referral_id,
        "provider_id": PROVIDER,
        "contract_id": "whp-central",
        "sub_region": "central",
        "borough": "Camden",
        "eligibility_group": "disability",
        "eligibility_subgroup": None,
        "referral_source": "jobcentre",
        "age_band": "25-49",
        "start_date": date(2024, 4, 1),
    }


def reasons(rejected: list[EventRejected]) -> list[str]:
    return [r.reason.value for r in rejected]


@pytest.mark.parametrize("nino", [NINO, "ab 12 34 56 c", " Ab123456c "])
async def test_started_referral_publishes_a_participant_without_nino_or_birth_date(
    intake: ServiceHarness, nino: str
) -> None:
    # given a referral, however its NINO is written; when the programme starts
    report = await intake.send(referral(nino=nino), programme_start())

    # then one participant start, keyed by the stable pseudonymous id
    output = await intake.new_output()
    assert [meaningful(r.event) for r in output] == [expected_start()]
    assert [(r.topic, r.key) for r in output] == [("intake.participants.v1", PARTICIPANT_ID)]
    assert report.rejected == 0
    # and the published bytes hold neither the NINO nor the date of birth
    [value] = [bytes(r["value"]) for r in await intake.pool.fetch("SELECT value FROM outbox")]
    for secret in (NINO, nino, "123456", "1990-05-17"):
        assert secret.encode() not in value


async def test_invalid_nino_is_rejected(intake: ServiceHarness) -> None:
    # when a referral names an impossible NINO (prefix letter D), then the programme starts
    bad = referral(nino="DA123456C")
    report = await intake.send(bad, programme_start())

    # then the referral is rejected as invalid_nino; the start waits for a valid referral
    output = await intake.new_output()
    rejected = of_type(output, EventRejected)
    assert [rejection_summary(r) for r in rejected] == [
        ("invalid_nino", "provider.prov-whp-central.intake.v1", 0, 0)
    ]
    assert rejected[0].source_event_id == str(bad.event_id)
    assert "123456" not in rejected[0].message
    assert len(output) == 1
    assert report.held == 1


async def test_a_person_starts_only_once_across_referrals(intake: ServiceHarness) -> None:
    # given a person who started under one referral
    await intake.send(referral("ref-1"), programme_start("ref-1"))
    await intake.new_output()

    # when a second referral of the same person (NINO written differently) starts
    await intake.send(referral("ref-2", nino="ab 123456 c"), programme_start("ref-2"))

    # then the second referral is accepted, but its start is already_started
    output = await intake.new_output()
    assert reasons(of_type(output, EventRejected)) == ["already_started"]
    assert len(output) == 1


async def test_same_referral_id_with_other_content_is_a_conflicting_referral(
    intake: ServiceHarness,
) -> None:
    # given an accepted referral
    await intake.send(referral())

    # when the same referral id arrives with another borough, and then an exact re-send
    await intake.send(referral(borough="Islington"), referral(borough=" camden "))

    # then only the conflicting one is rejected
    output = await intake.new_output()
    assert reasons(of_type(output, EventRejected)) == ["conflicting_referral"]
    assert of_type(output, EventRejected)[0].source_offset == 1
    assert len(output) == 1


async def test_programme_start_before_its_referral_is_held_then_released(
    intake: ServiceHarness,
) -> None:
    # given a programme start for a referral intake has not received
    held = await intake.send(programme_start())
    assert held.held == 1
    assert await intake.new_output() == []

    # when the referral arrives
    await intake.send(referral())

    # then the participant starts, once
    output = await intake.new_output()
    assert [meaningful(r.event) for r in output] == [expected_start()]
    assert await intake.held() == []


async def test_leaver_publishes_participant_left(intake: ServiceHarness) -> None:
    # given a started participant
    await intake.send(referral(), programme_start())
    await intake.new_output()

    # when the provider reports the leaver (twice: a re-send)
    await intake.send(programme_end(end_date=date(2024, 9, 30)))
    await intake.send(programme_end(end_date=date(2024, 9, 30)))

    # then one ParticipantLeft, naming only the pseudonymous participant
    output = await intake.new_output()
    assert [meaningful(e) for e in of_type(output, ParticipantLeft)] == [
        {
            "type": "participant_left",
            "participant_id": PARTICIPANT_ID,
            "referral_id": REFERRAL,
            "provider_id": PROVIDER,
            "contract_id": "whp-central",
            "end_date": date(2024, 9, 30),
            "reason": "moved away",
        }
    ]
    assert [(r.topic, r.key) for r in output] == [("intake.participants.v1", PARTICIPANT_ID)]


async def test_leaver_before_the_start_is_held_until_the_start(intake: ServiceHarness) -> None:
    # given a leaver for a referral not yet started
    await intake.send(programme_end(end_date=date(2024, 9, 30)))

    # when the referral and start arrive
    await intake.send(referral(), programme_start())

    # then the participant starts, then leaves
    output = await intake.new_output()
    assert [type(r.event) for r in output] == [ParticipantStarted, ParticipantLeft]
    assert await intake.held() == []


async def test_end_before_start_is_an_invalid_period(intake: ServiceHarness) -> None:
    # given a participant who started on 2024-04-01
    await intake.send(referral(), programme_start())
    await intake.new_output()

    # when the leaver date is before the start
    await intake.send(programme_end(end_date=date(2024, 3, 31)))

    # then it is rejected as invalid_period
    output = await intake.new_output()
    assert reasons(of_type(output, EventRejected)) == ["invalid_period"]
    assert len(output) == 1
