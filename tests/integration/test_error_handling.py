"""Database errors on real PostgreSQL: transient ones are retried (never a rejection),
the record's own ones reject that record alone; a fix is followed by a replay."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import asyncpg.exceptions as pg
import pytest
from prometheus_client import REGISTRY

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.intake import ParticipantStarted
from schemas.rejections import EventRejected
from schemas.topics import CONSUMERS, PROVIDER_INTAKE, Owner, TopicSpec
from services.common.messages import Received
from services.common.outcome import BatchOutcome
from services.intake.adapters.postgres import IntakeRepository
from services.intake.handlers import IntakeHandler
from services.runtime.processor import BatchProcessor
from tests.builders import REFERRAL, programme_start, referral
from tests.integration.conftest import (
    HOLD_SECONDS,
    ServiceHarness,
    ServiceStarter,
    intake_handler,
    of_type,
)
from tests.unit.test_error_classes import DATA_SERVER_ERRORS, TRANSIENT_SERVER_ERRORS
from tools.replay import replay_quarantined

pytestmark = pytest.mark.integration


class FailingIntake:
    """The real intake handler, except that a batch holding ``poison`` raises ``error``
    (the first ``times`` calls; ``None``: always)."""

    service: Owner = "intake"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["intake"]

    def __init__(
        self, inner: IntakeHandler, poison: str, error: BaseException, times: int | None = None
    ) -> None:
        self.inner = inner
        self.poison = poison
        self.error = error
        self.times = times
        self.raised = 0

    async def handle(
        self, repo: IntakeRepository, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        poisoned = any(getattr(i.event, "referral_id", None) == self.poison for i in items)
        if poisoned and (self.times is None or self.raised < self.times):
            self.raised += 1
            raise self.error
        await self.inner.handle(repo, items, outcome)

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return self.inner.expired(item)

    keeps_personal_data = True  # as intake

    def mask_original(self, value: bytes) -> bytes:
        return self.inner.mask_original(value)

    async def finish(self, repo: IntakeRepository, outcome: BatchOutcome) -> None:
        await self.inner.finish(repo, outcome)


def retries(service: str = "intake") -> float:
    return REGISTRY.get_sample_value("outcomes_batch_retries_total", {"service": service}) or 0.0


@pytest.mark.parametrize("error", TRANSIENT_SERVER_ERRORS, ids=lambda e: e.sqlstate)
async def test_a_transient_database_error_is_retried_and_never_rejects(
    start_service: ServiceStarter, error: type[asyncpg.PostgresError]
) -> None:
    # given a handler that fails twice with this error on a batch holding ref-2
    handler = FailingIntake(intake_handler(), "ref-2", error("injected"), times=2)
    service = await start_service(handler)
    before = retries()

    # when a batch with ref-2 between two good referrals is processed
    report = await service.send(
        referral("ref-1"), referral("ref-2", nino="CE654321A"), referral("ref-3", nino="JK654321A")
    )

    # then it was retried until it went through: nothing rejected, all three processed
    assert (report.processed, report.rejected) == (3, 0)
    assert handler.raised == 2
    assert retries() - before == 2
    assert of_type(await service.outbox(), EventRejected) == []
    assert await service.pool.fetchval("SELECT count(*) FROM quarantine") == 0


@pytest.mark.parametrize("error", DATA_SERVER_ERRORS, ids=lambda e: e.sqlstate)
async def test_a_data_error_rejects_that_record_only_with_the_error_text(
    start_service: ServiceStarter, error: type[asyncpg.PostgresError]
) -> None:
    # given a handler that always fails with this error on ref-2
    service = await start_service(FailingIntake(intake_handler(), "ref-2", error("injected")))
    records = service.records(
        referral("ref-1"),
        referral("ref-2", nino="CE654321A"),
        referral("ref-3", nino="JK654321A"),
        programme_start("ref-1"),
    )

    # when the batch is processed
    report = await service.processor.process(records)

    # then ref-2 alone is processing_failed, naming the error and its SQLSTATE ...
    output = await service.outbox()
    [rejected] = of_type(output, EventRejected)
    assert rejected.reason == RejectionReason.PROCESSING_FAILED
    assert rejected.source_offset == records[1].offset
    assert f"{error.__name__} [{error.sqlstate}]: injected" in rejected.message
    # ... the others were processed, and the original is quarantined
    assert [p.referral_id for p in of_type(output, ParticipantStarted)] == [REFERRAL]
    assert (report.records, report.rejected) == (4, 1)
    quarantined = await service.pool.fetch("SELECT value, reason FROM quarantine")
    assert [(bytes(q["value"]), q["reason"]) for q in quarantined] == [
        (records[1].value, "processing_failed")
    ]


async def test_a_real_lock_timeout_is_retried_until_the_lock_is_released(
    intake: ServiceHarness, fresh_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given a referral, and a processor whose connections give up waiting for a lock
    await intake.send(referral())
    pool = await asyncpg.create_pool(
        fresh_database,
        min_size=1,
        max_size=2,
        server_settings={"search_path": "intake", "lock_timeout": "100ms"},
    )
    assert pool is not None
    processor = BatchProcessor(
        intake.handler,
        pool,
        IntakeRepository,
        hold_seconds=HOLD_SECONDS,
        clock=intake.clock,
        retry_delay_seconds=0.05,
        retry_max_seconds=0.2,
    )
    # and another session holding the referral's row lock
    holder = await asyncpg.connect(fresh_database)
    lock = holder.transaction()
    await lock.start()
    await holder.execute(
        "SELECT 1 FROM intake.referrals WHERE referral_id = $1 FOR UPDATE", REFERRAL
    )
    before = retries()
    try:
        # when the programme start (which updates that row) is processed
        task = asyncio.create_task(processor.process(intake.records(programme_start())))
        while retries() - before < 2:  # noqa: ASYNC110  (waits for real lock timeouts)
            await asyncio.sleep(0.05)
        assert not task.done()
        # and the lock is released
        await lock.rollback()
        report = await asyncio.wait_for(task, timeout=30)
    finally:
        await holder.close()
        await pool.close()

    # then the lock timeouts (55P03) were retried and the start went through, unrejected
    assert (report.processed, report.rejected) == (1, 0)
    output = await intake.outbox()
    assert [p.referral_id for p in of_type(output, ParticipantStarted)] == [REFERRAL]
    assert of_type(output, EventRejected) == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "services.runtime.processor"]
    assert any("LockNotAvailableError [55P03]" in w for w in warnings), warnings
    print(f"lock timeouts retried: {retries() - before:.0f}")


async def test_a_fixed_bug_is_replayed_from_the_quarantine(
    start_service: ServiceStarter,
) -> None:
    # given a bug that made a programme start fail
    buggy = FailingIntake(intake_handler(), REFERRAL, RuntimeError("bug #42"), times=0)
    service = await start_service(buggy)
    await service.send(referral())
    buggy.times = None  # the referral is in; from now on the bug hits
    start = programme_start()
    await service.send(start)
    [failed] = of_type(await service.outbox(), EventRejected)
    assert failed.reason == RejectionReason.PROCESSING_FAILED
    # and the same start re-delivered is a silent duplicate (its id is claimed)
    assert (await service.send(start)).duplicates == 1
    lines: list[str] = []

    # when the bug is fixed and the quarantine listed, then replayed
    fixed = BatchProcessor(
        intake_handler(),
        service.pool,
        IntakeRepository,
        hold_seconds=HOLD_SECONDS,
        clock=service.clock,
    )
    listed = await replay_quarantined(fixed, dry_run=True, out=lines.append)
    state_after_dry_run = await service.table("inbox")
    summary = await replay_quarantined(fixed, out=lines.append)
    again = await replay_quarantined(fixed, out=lines.append)

    # then the dry run changed nothing, the replay started the participant ...
    assert (listed.found, listed.replayed) == (1, 0)
    assert len(state_after_dry_run) == 2
    assert (summary.found, summary.replayed, summary.failed) == (1, 1, [])
    output = await service.outbox()
    assert [p.referral_id for p in of_type(output, ParticipantStarted)] == [REFERRAL]
    # ... the quarantine row is marked replayed and a second run finds nothing
    replayed = await service.pool.fetchval("SELECT replayed_at FROM quarantine")
    assert replayed == service.clock.now
    assert again.found == 0
    # ... and the start's id is claimed again: a re-delivery is still a no-op
    assert (await service.send(start)).duplicates == 1
    print("\n".join(lines))


async def test_a_replay_that_fails_again_changes_nothing(start_service: ServiceStarter) -> None:
    # given a processing_failed start whose bug is not fixed
    buggy = FailingIntake(intake_handler(), REFERRAL, pg.NumericValueOutOfRangeError("overflow"))
    service = await start_service(buggy)
    await service.send(programme_start())
    before = {name: await service.table(name) for name in ("inbox", "outbox", "quarantine")}
    lines: list[str] = []

    # when it is replayed with the same handler
    summary = await replay_quarantined(service.processor, out=lines.append)

    # then it is reported as still failing and nothing changed
    assert summary.replayed == 0
    [(_, error)] = summary.failed
    assert error == "NumericValueOutOfRangeError [22003]: overflow"
    assert {name: await service.table(name) for name in before} == before
    assert lines[-1] == "processing_failed: 1 quarantined, replayed 0, still failing 1"


async def test_a_record_kept_only_in_part_stays_so_when_replayed(
    start_service: ServiceStarter,
) -> None:
    # given a provider value over the size limit, rejected and quarantined as a prefix
    service = await start_service(intake_handler())
    value = b'{"pad": "' + b"A" * 400_000 + b'"}'
    await service.processor.process([service.feed.raw(PROVIDER_INTAKE, value, key="big")])
    [first] = of_type(await service.outbox(), EventRejected)

    # when the quarantined invalid_schema inputs are replayed
    lines: list[str] = []
    summary = await replay_quarantined(
        service.processor, reason=RejectionReason.INVALID_SCHEMA.value, out=lines.append
    )

    # then it is refused again for its full size: the prefix is never taken for the whole
    assert summary.replayed == 1
    rejections = of_type(await service.outbox(), EventRejected)
    second = next(r for r in rejections if r.event_id != first.event_id)
    assert (second.reason, second.message) == (first.reason, first.message)
    assert second.message.startswith("message is 400,011 bytes, over the limit")
    assert (second.original_length, second.original_sha256) == (
        first.original_length,
        first.original_sha256,
    )
