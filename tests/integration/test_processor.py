"""The batch processor on real PostgreSQL: inbox, outbox, rejections, hold and expiry."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.intake import ParticipantStarted
from schemas.placement import PlacementConfirmed
from schemas.provider import JobStarted, ProgrammeStarted
from schemas.rejections import MAX_REJECTION_BYTES, ORIGINAL_PREFIX_BYTES, EventRejected
from schemas.topics import CONSUMERS, PROVIDER_PLACEMENTS, Owner, TopicSpec
from services.common import masking
from services.common.messages import Received, bounded_digest
from services.common.outcome import BatchOutcome
from services.intake.adapters.postgres import IntakeRepository
from services.intake.handlers import IntakeHandler
from services.runtime.processor import BatchReport
from tests.builders import (
    PROVIDER,
    REFERRAL,
    job_start,
    new_id,
    participant_started,
    programme_start,
    referral,
)
from tests.integration.conftest import (
    HOLD_SECONDS,
    ServiceHarness,
    ServiceStarter,
    intake_handler,
    meaningful,
    of_type,
    rejection_summary,
)

pytestmark = pytest.mark.integration

STATE_TABLES = ("inbox", "outbox", "held", "referrals")


async def snapshot(service: ServiceHarness, tables: Sequence[str]) -> dict[str, list[Any]]:
    return {name: await service.table(name) for name in tables}


def describes(rejected: EventRejected, value: bytes) -> bool:
    """Does the rejection describe these original bytes (length, SHA-256, masked prefix)?"""
    prefix = base64.b64decode(rejected.original_prefix_b64)
    return (
        rejected.original_length == len(value)
        and rejected.original_sha256 == hashlib.sha256(value).hexdigest()
        and prefix == masking.mask_original(value)  # what placement and intake publish
    )


# -- idempotence -----------------------------------------------------------------


async def test_same_batch_twice_counts_duplicates_and_changes_nothing(
    intake: ServiceHarness,
) -> None:
    # given a batch that was processed once
    batch = intake.records(referral(), programme_start())
    first = await intake.processor.process(batch)
    before = await snapshot(intake, STATE_TABLES)

    # when the same batch is delivered again
    second = await intake.processor.process(batch)

    # then every record is a duplicate, and neither the outbox nor the state changed
    assert first == BatchReport(
        records=2, processed=2, duplicates=0, rejected=0, held=0, published=1
    )
    assert second == BatchReport(
        records=2, processed=0, duplicates=2, rejected=0, held=0, published=0
    )
    assert await snapshot(intake, STATE_TABLES) == before
    assert len(before["outbox"]) == 1


async def test_resent_content_under_new_event_ids_has_no_effect(intake: ServiceHarness) -> None:
    # given a referral that started
    sent_referral, sent_start = referral(), programme_start()
    await intake.send(sent_referral, sent_start)
    await intake.new_output()
    referrals_before = await intake.table("referrals")

    # when the provider re-sends both with new event ids (and a differently written NINO)
    report = await intake.send(
        sent_referral.model_copy(update={"event_id": new_id(), "nino": "ab 12 34 56 c"}),
        sent_start.model_copy(update={"event_id": new_id()}),
    )

    # then they are processed, not rejected, and nothing is published or changed
    assert (report.processed, report.rejected, report.published) == (2, 0, 0)
    assert await intake.new_output() == []
    assert await intake.table("referrals") == referrals_before


# -- bad input ---------------------------------------------------------------------


def _job_json(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(job_start(event_id=new_id()).model_dump_json())
    document.update(changes)
    return document


def _bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


async def test_undecodable_and_invalid_records_are_rejected_with_their_bytes(
    placement: ServiceHarness,
) -> None:
    # given a started participant
    await placement.send(participant_started())
    await placement.new_output()
    missing = _job_json()
    del missing["placement_id"]
    bad_values = [
        b"\xff not json",
        _bytes(missing),
        _bytes(_job_json(bonus_pence=100)),
        _bytes(_job_json(hourly_wage_pence=1385.0)),
    ]
    valid = job_start()

    # when one batch mixes them with a valid job start
    records = [
        *(placement.feed.raw(PROVIDER_PLACEMENTS, value, key="plc-x") for value in bad_values),
        placement.feed.record(valid),
    ]
    report = await placement.processor.process(records)
    output = await placement.new_output()

    # then each bad record is an invalid_schema rejection holding its exact bytes ...
    rejected = of_type(output, EventRejected)
    assert [rejection_summary(r) for r in rejected] == [
        ("invalid_schema", "provider.prov-whp-central.placements.v1", 0, offset)
        for offset in range(4)
    ]
    assert all(describes(r, v) for r, v in zip(rejected, bad_values, strict=True))
    assert all(r.service == "placement" and r.source_event_id is None for r in rejected)
    assert "placement_id" in rejected[1].message
    assert "bonus_pence" in rejected[2].message
    assert "hourly_wage_pence" in rejected[3].message
    assert {row.topic for row in output if isinstance(row.event, EventRejected)} == {
        "provider.prov-whp-central.rejections.v1"
    }
    # ... and the rest of the batch was still processed
    assert [c.placement_id for c in of_type(output, PlacementConfirmed)] == [valid.placement_id]
    assert (report.records, report.processed, report.rejected) == (5, 1, 4)


class ExplodingIntake:
    """The real intake handler, except that one referral id makes it raise (a bug)."""

    service: Owner = "intake"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["intake"]

    def __init__(self, inner: IntakeHandler, poison_referral_id: str) -> None:
        self.inner = inner
        self.poison = poison_referral_id

    keeps_personal_data = True  # as intake

    async def handle(
        self, repo: IntakeRepository, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        if any(getattr(i.event, "referral_id", None) == self.poison for i in items):
            raise RuntimeError(f"cannot handle {self.poison}")
        await self.inner.handle(repo, items, outcome)

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return self.inner.expired(item)

    def mask_original(self, value: bytes) -> bytes:
        return self.inner.mask_original(value)

    async def finish(self, repo: IntakeRepository, outcome: BatchOutcome) -> None:
        await self.inner.finish(repo, outcome)


async def test_a_record_that_makes_the_handler_fail_is_rejected_and_the_rest_processed(
    start_service: ServiceStarter,
) -> None:
    # given a handler that fails on one referral
    service = await start_service(ExplodingIntake(intake_handler(), "ref-poison"))
    poison = referral("ref-poison", nino="CE654321A")
    batch = service.records(referral(), poison, programme_start())

    # when a batch holds that referral between two good events
    report = await service.processor.process(batch)
    output = await service.new_output()

    # then the failing record is a processing_failed rejection, the others are processed
    [rejected] = of_type(output, EventRejected)
    assert rejection_summary(rejected) == (
        "processing_failed",
        "provider.prov-whp-central.intake.v1",
        0,
        1,
    )
    assert rejected.source_event_id == str(poison.event_id)
    assert describes(rejected, batch[1].value)
    assert "RuntimeError: cannot handle ref-poison" in rejected.message
    assert [p.referral_id for p in of_type(output, ParticipantStarted)] == [REFERRAL]
    assert (report.records, report.rejected) == (3, 1)

    # and a redelivery of the batch is recognised as duplicates throughout
    again = await service.processor.process(batch)
    assert (again.duplicates, again.published) == (3, 0)
    assert await service.new_output() == []


class FailsOnceReferralKnown:
    """The real intake handler, except that a programme start fails once its referral is
    stored: it is held fine, and fails (a bug) when the referral releases it."""

    service: Owner = "intake"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["intake"]

    def __init__(self, inner: IntakeHandler) -> None:
        self.inner = inner

    keeps_personal_data = True  # as intake

    def mask_original(self, value: bytes) -> bytes:
        return self.inner.mask_original(value)

    async def handle(
        self, repo: IntakeRepository, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        for item in items:
            if isinstance(item.event, ProgrammeStarted) and await repo.conn.fetchval(
                "SELECT count(*) FROM referrals WHERE referral_id = $1", item.event.referral_id
            ):
                raise RuntimeError(f"cannot start {item.event.referral_id}")
        await self.inner.handle(repo, items, outcome)

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return self.inner.expired(item)

    async def finish(self, repo: IntakeRepository, outcome: BatchOutcome) -> None:
        await self.inner.finish(repo, outcome)


async def test_a_released_record_that_fails_is_rejected_not_the_record_releasing_it(
    start_service: ServiceStarter,
) -> None:
    # given a held programme start whose handling fails once its referral is known
    service = await start_service(FailsOnceReferralKnown(intake_handler()))
    start = programme_start()
    [start_record] = service.records(start)
    await service.processor.process([start_record])

    # when its referral arrives with another referral, releasing the start
    report = await service.send(referral(), referral("ref-2", nino="CE654321A"))

    # then the start is rejected as processing_failed; both referrals are stored
    [rejected] = of_type(await service.new_output(), EventRejected)
    assert rejection_summary(rejected) == (
        "processing_failed",
        "provider.prov-whp-central.intake.v1",
        0,
        0,
    )
    assert rejected.source_event_id == str(start.event_id)
    assert describes(rejected, start_record.value)
    assert (report.processed, report.rejected) == (2, 1)
    assert [row[0] for row in await service.table("referrals")] == [REFERRAL, "ref-2"]
    assert await service.held() == []


# -- hold, release and expiry ------------------------------------------------------


def _expected_confirmation(job: JobStarted) -> dict[str, Any]:
    return {
        "type": "placement_confirmed",
        "participant_id": "participant-1",
        "placement_id": job.placement_id,
        "referral_id": job.referral_id,
        "provider_id": PROVIDER,
        "contract_id": "whp-central",
        "job_start_date": job.job_start_date,
        "employment_type": job.employment_type,
        "hourly_wage_pence": job.hourly_wage_pence,
        "weekly_hours": job.weekly_hours,
        "pays_llw": True,
        "below_minimum_wage": False,
        "sic_sector": job.sic_sector,
        "employer_name": job.employer_name,
        "source_produced_at": job.produced_at,
    }


async def test_job_start_before_its_participant_is_held_then_released(
    placement: ServiceHarness,
) -> None:
    # given a job start for a participant placement has not heard of
    job = job_start()
    held_report = await placement.send(job)
    assert held_report.held == 1
    assert await placement.held() == [f"{job.provider_id}:{job.event_id}"]
    assert await placement.new_output() == []

    # when the participant starts
    await placement.send(participant_started())

    # then the job start is released and confirmed exactly once
    output = await placement.new_output()
    assert [meaningful(e) for e in of_type(output, PlacementConfirmed)] == [
        _expected_confirmation(job)
    ]
    assert len(output) == 1
    assert await placement.held() == []


async def test_job_start_before_its_participant_in_the_same_batch_is_released(
    placement: ServiceHarness,
) -> None:
    # given nothing; when one batch holds the job start, then the participant start
    job = job_start()
    report = await placement.send(job, participant_started())

    # then the job start was held and released within the batch, confirmed once
    output = await placement.new_output()
    assert [meaningful(e) for e in of_type(output, PlacementConfirmed)] == [
        _expected_confirmation(job)
    ]
    assert len(output) == 1
    assert report.held == 1
    assert await placement.held() == []


async def test_held_job_start_is_rejected_once_the_hold_time_ran_out(
    placement: ServiceHarness,
) -> None:
    # given a held job start
    job = job_start()
    [record] = placement.records(job)
    await placement.processor.process([record])

    # when the hold time has not quite run out, nothing expires
    placement.clock.advance(timedelta(seconds=HOLD_SECONDS - 1))
    assert await placement.processor.expire_holds() == 0

    # when it has run out
    placement.clock.advance(timedelta(seconds=2))
    expired = await placement.processor.expire_holds()

    # then the job start is rejected as unknown_participant with its bytes
    output = await placement.new_output()
    [rejected] = of_type(output, EventRejected)
    assert expired == 1
    assert len(output) == 1
    assert rejection_summary(rejected) == (
        "unknown_participant",
        "provider.prov-whp-central.placements.v1",
        0,
        0,
    )
    assert rejected.source_event_id == str(job.event_id)
    assert rejected.provider_id == PROVIDER
    assert describes(rejected, record.value)
    assert await placement.held() == []

    # and a participant start arriving afterwards releases nothing
    await placement.send(participant_started())
    assert await placement.new_output() == []


async def test_an_oversized_input_gives_a_small_rejection_and_a_bounded_quarantine_row(
    placement: ServiceHarness,
) -> None:
    # given a 900 KB value on a provider topic
    value = b'{"provider_id": "' + b"p" * 900_000 + b'"}'
    record = placement.feed.raw(PROVIDER_PLACEMENTS, value, key="plc-big")

    # when it is processed
    await placement.processor.process([record])

    # then its rejection is small and describes it by length and the digest of its
    # length and prefix (the rest is never hashed) ...
    prefix = value[:ORIGINAL_PREFIX_BYTES]
    [row] = await placement.pool.fetch("SELECT value FROM outbox")
    assert len(row["value"]) <= MAX_REJECTION_BYTES
    [rejected] = of_type(await placement.outbox(), EventRejected)
    assert (rejected.reason, rejected.original_length) == ("invalid_schema", len(value))
    assert rejected.message == (
        "message is 900,019 bytes, over the limit of 262,144 bytes (MAX_MESSAGE_BYTES)"
    )
    assert rejected.original_sha256 == bounded_digest(prefix, len(value)).hex()
    assert base64.b64decode(rejected.original_prefix_b64) == prefix
    # ... and the quarantine keeps the bounded prefix, its full length and where it was read
    [kept] = await placement.pool.fetch(
        'SELECT message_id, topic, partition, "offset", key, value, sha256, reason, message,'
        " original_length FROM quarantine"
    )
    assert bytes(kept["value"]) == prefix
    assert kept["original_length"] == len(value)
    assert (kept["topic"], kept["partition"], kept["offset"], bytes(kept["key"])) == (
        record.topic,
        0,
        record.offset,
        b"plc-big",
    )
    assert (kept["reason"], kept["sha256"]) == ("invalid_schema", rejected.original_sha256)
    assert kept["message"] == rejected.message
    assert kept["message_id"] == f"record:{record.topic}:0:{record.offset}"
