"""Same event_id, other content: duplicate_event_id; same content again: a silent no-op."""

from __future__ import annotations

import json

import pytest

from schemas.common import RejectionReason
from schemas.intake import ParticipantStarted
from schemas.rejections import EventRejected
from schemas.topics import PROVIDER_INTAKE
from tests.builders import new_id, programme_start, referral
from tests.integration.conftest import ServiceHarness, of_type

pytestmark = pytest.mark.integration

STATE = ("inbox", "referrals", "outbox", "quarantine")


async def snapshot(service: ServiceHarness) -> dict[str, list[tuple[object, ...]]]:
    return {name: await service.table(name) for name in STATE}


async def test_the_same_content_again_is_silent_even_formatted_differently(
    intake: ServiceHarness,
) -> None:
    # given a referral that was processed
    event = referral()
    await intake.send(event)
    before = await snapshot(intake)

    # when the same event comes again: the same bytes, then re-serialised differently
    same = await intake.send(event)
    reformatted = json.dumps(json.loads(event.model_dump_json()), indent=2, sort_keys=True)
    other_spelling = intake.feed.raw(PROVIDER_INTAKE, reformatted.encode(), key="ref-1")
    spelled = await intake.send(other_spelling)

    # then both are duplicates and nothing changed
    assert (same.duplicates, spelled.duplicates) == (1, 1)
    assert await snapshot(intake) == before


async def test_the_same_event_id_with_other_content_is_rejected_and_changes_nothing(
    intake: ServiceHarness,
) -> None:
    # given a referral that was processed
    first = referral(borough="Camden")
    await intake.send(first)
    before = await intake.table("referrals")
    assert len(before) == 1

    # when another event arrives under its event_id (another borough)
    other = referral(borough="Islington", event_id=first.event_id)
    record = intake.feed.record(other)
    report = await intake.processor.process([record])
    redelivered = await intake.processor.process([record])

    # then it is rejected duplicate_event_id, naming the id, and the state is unchanged
    [rejected] = of_type(await intake.new_output(), EventRejected)
    assert rejected.reason == RejectionReason.DUPLICATE_EVENT_ID
    assert rejected.source_event_id == str(first.event_id)
    assert rejected.message.startswith(f"event_id {first.event_id} was already received")
    assert (report.processed, report.rejected, report.duplicates) == (0, 1, 0)
    assert await intake.table("referrals") == before
    # and the same conflicting record delivered again is not rejected twice
    assert (redelivered.rejected, redelivered.duplicates) == (0, 1)
    assert await intake.new_output() == []
    # and its original is in the quarantine
    assert await intake.pool.fetchval("SELECT reason FROM quarantine") == "duplicate_event_id"


async def test_within_one_batch_the_first_content_wins_and_the_other_is_rejected(
    intake: ServiceHarness,
) -> None:
    event_id = new_id()
    first = programme_start(event_id=event_id)
    other = programme_start(event_id=event_id, start_date=first.start_date.replace(day=2))

    report = await intake.send(referral(), first, first, other)

    output = await intake.new_output()
    assert [p.start_date for p in of_type(output, ParticipantStarted)] == [first.start_date]
    [rejected] = of_type(output, EventRejected)
    assert (rejected.reason, rejected.source_offset) == ("duplicate_event_id", 3)
    assert (report.duplicates, report.rejected) == (1, 1)


async def test_ids_claimed_before_digests_were_kept_stay_silent_duplicates(
    intake: ServiceHarness,
) -> None:
    # given an inbox row from before the digest column (NULL: content unknown), named as
    # the inbox names a provider's event since v3 (provider and event id)
    event = referral()
    await intake.pool.execute(
        "INSERT INTO inbox (message_id) VALUES ($1)", f"{event.provider_id}:{event.event_id}"
    )

    # when an event with that id arrives
    report = await intake.send(event)

    # then it is a duplicate as before the migration: no rejection, nothing processed
    assert (report.duplicates, report.rejected, report.processed) == (1, 0, 0)
    assert await intake.new_output() == []
