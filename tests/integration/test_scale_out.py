"""Several instances of a service on one PostgreSQL: side by side, fenced, the same money.

Instances are real :class:`BatchProcessor` objects on their own connection pools and one
database (as several processes would be). "Side by side" is shown by a transaction held
open at a gate while another instance commits, not by timing; a stale owner by the
epochs of ``partition_owners``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from schemas.base import Event
from schemas.common import MilestoneKind, RejectionReason
from schemas.payments import ProviderPaymentIssued
from schemas.placement import PlacementConfirmed
from schemas.rejections import EventRejected
from schemas.topics import CONSUMERS, MILESTONES, Owner, by_name, topic_name
from services.common import db
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome
from services.common.reference import load_contracts, load_rates
from services.payments.handlers import PaymentsHandler
from services.placement.handlers import PlacementHandler
from services.runtime.ownership import PartitionOwnership
from services.runtime.ports import Handler
from services.simulation import simulate
from services.sustainment.handlers import SustainmentHandler
from tests.builders import job_start, milestone_reached, participant_started
from tests.integration.conftest import (
    HOLD_SECONDS,
    PARTICIPANT_KEY,
    ServiceHarness,
    ServiceStarter,
    decode_outbox_row,
    intake_handler,
    of_type,
)
from tests.integration.test_order_services import natural, shuffled
from tests.unit.histories import EVIDENCE, INTAKE, PLACEMENTS
from tests.unit.journeys import journey_streams

pytestmark = pytest.mark.integration

MILESTONE_TOPIC = topic_name(MILESTONES)


class Gated:
    """A handler whose next ``handle`` stops at a gate, inside its open transaction
    (its keys and partition rows locked), until the test opens the gate."""

    def __init__(self, inner: Handler[Any]) -> None:
        self.inner = inner
        self.service = inner.service
        self.inputs = inner.inputs
        self.mask_original = inner.mask_original
        self.keeps_personal_data = inner.keeps_personal_data
        self.armed = False
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    def arm(self) -> None:
        self.armed, self.entered, self.gate = True, asyncio.Event(), asyncio.Event()

    async def handle(self, repo: Any, items: Sequence[Received[Event]], out: BatchOutcome) -> None:
        await self.inner.handle(repo, items, out)
        if self.armed:
            self.armed = False
            self.entered.set()
            await self.gate.wait()

    async def finish(self, repo: Any, outcome: BatchOutcome) -> None:
        await self.inner.finish(repo, outcome)

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return self.inner.expired(item)


def gated(harness: ServiceHarness) -> Gated:
    assert isinstance(harness.handler, Gated)
    return harness.handler


async def committed_payments(pool: db.Pool) -> list[str]:
    """The participants paid in the outbox, as another connection sees it (committed)."""
    rows = await pool.fetch("SELECT * FROM outbox ORDER BY id")
    paid = of_type([decode_outbox_row(r) for r in rows], ProviderPaymentIssued)
    return sorted(p.participant_id for p in paid)


async def within(awaitable: Any) -> Any:
    """``awaitable``, failing the test after 30 s instead of hanging it."""
    return await asyncio.wait_for(awaitable, 30)


async def until(condition: Any) -> None:
    """Wait for a state of the database (a lock wait), polling; fail after 30 s."""
    for _ in range(600):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the database never reached the state waited for")


async def lock_waits(pool: db.Pool, locktype: str) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND wait_event = $1",
        locktype,
    )
    return count


def fenced_count() -> float:
    value = REGISTRY.get_sample_value("outcomes_fenced_transactions_total", {"service": "payments"})
    return value or 0.0


async def take(harness: ServiceHarness, owner: str, *partitions: int) -> PartitionOwnership:
    ownership = PartitionOwnership(owner)
    async with harness.pool.acquire() as conn:
        await ownership.take(conn, [(MILESTONE_TOPIC, p) for p in partitions])
    harness.processor.ownership = ownership
    return ownership


def milestone_record(harness: ServiceHarness, participant: str, partition: int) -> RawRecord:
    return harness.feed.record(milestone_reached(participant_id=participant), partition=partition)


async def test_two_instances_commit_batches_while_the_other_holds_its_transaction_open(
    start_service: ServiceStarter,
) -> None:
    a = await start_service(Gated(PaymentsHandler()))
    b = await start_service(Gated(PaymentsHandler()))
    await take(a, "instance-a", 0)
    await take(b, "instance-b", 1)

    gated(a).arm()
    held_open = asyncio.create_task(a.processor.process([milestone_record(a, "alice", 0)]))
    await within(gated(a).entered.wait())
    report = await within(b.processor.process([milestone_record(b, "bob", 1)]))  # a open
    assert report.processed == 1
    assert await committed_payments(b.pool) == ["bob"]
    assert not held_open.done()

    gated(b).arm()
    held_open_b = asyncio.create_task(b.processor.process([milestone_record(b, "carol", 1)]))
    await within(gated(b).entered.wait())  # b open now, a still open too
    gated(a).gate.set()
    assert (await within(held_open)).processed == 1  # a commits while b holds its transaction
    assert await committed_payments(a.pool) == ["alice", "bob"]
    gated(b).gate.set()
    assert (await within(held_open_b)).processed == 1
    assert await committed_payments(a.pool) == ["alice", "bob", "carol"]


async def test_batches_naming_the_same_participant_wait_for_each_other(
    start_service: ServiceStarter,
) -> None:
    a = await start_service(Gated(PaymentsHandler()))
    b = await start_service(PaymentsHandler())
    gated(a).arm()
    first = asyncio.create_task(a.send(milestone_reached(participant_id="alice")))
    await within(gated(a).entered.wait())
    # The same milestone again (another event id): without the key b would read no
    # payment yet (a has not committed) and pay it a second time.
    second = asyncio.create_task(b.send(milestone_reached(participant_id="alice")))
    await until(lambda: _waiting(b.pool, "advisory"))  # b waits for alice's key
    assert not second.done()
    gated(a).gate.set()
    assert (await within(first)).processed == 1
    assert (await within(second)).processed == 1
    assert await committed_payments(b.pool) == ["alice"]


async def _waiting(pool: db.Pool, locktype: str) -> bool:
    return await lock_waits(pool, locktype) > 0


async def test_a_stale_owner_is_fenced_and_its_batch_left_to_the_new_owner(
    start_service: ServiceStarter,
) -> None:
    a = await start_service(PaymentsHandler())
    b = await start_service(PaymentsHandler())
    old = await take(a, "instance-a", 0)
    assert (await a.processor.process([milestone_record(a, "alice", 0)])).processed == 1
    new = await take(b, "instance-b", 0)  # a rebalance gave partition 0 to b
    assert new.epochs == {(MILESTONE_TOPIC, 0): old.epochs[(MILESTONE_TOPIC, 0)] + 1}
    before = fenced_count()

    late = milestone_record(a, "bob", 0)  # a batch a took before it learnt
    report = await a.processor.process([late])

    assert (report.processed, report.fenced) == (0, 1)
    assert fenced_count() == before + 1
    assert not old.owns(MILESTONE_TOPIC, 0)
    assert await committed_payments(a.pool) == ["alice"]  # rolled back: nothing of bob's
    assert (await b.processor.process([late])).processed == 1
    assert await committed_payments(a.pool) == ["alice", "bob"]
    row = await a.pool.fetchrow("SELECT * FROM partition_owners")
    assert row is not None
    assert (row["owner"], row["epoch"], row["position"]) == ("instance-b", 2, late.offset + 1)


async def test_a_new_owner_takes_a_partition_only_after_the_old_owners_transaction(
    start_service: ServiceStarter,
) -> None:
    a = await start_service(Gated(PaymentsHandler()))
    b = await start_service(PaymentsHandler())
    old = await take(a, "instance-a", 0)
    gated(a).arm()
    in_flight = asyncio.create_task(a.processor.process([milestone_record(a, "alice", 0)]))
    await within(gated(a).entered.wait())

    taking = asyncio.create_task(take(b, "instance-b", 0))
    await until(lambda: _waiting(b.pool, "transactionid"))  # the row a locked
    assert not taking.done()
    gated(a).gate.set()
    assert (await within(in_flight)).processed == 1  # a was owner when it checked: it commits
    new = await within(taking)
    assert new.epochs[(MILESTONE_TOPIC, 0)] == old.epochs[(MILESTONE_TOPIC, 0)] + 1
    assert (await a.processor.process([milestone_record(a, "bob", 0)])).fenced == 1


async def test_an_owner_assigned_its_own_partitions_again_keeps_its_epoch(
    start_service: ServiceStarter,
) -> None:
    a = await start_service(PaymentsHandler())
    first = await take(a, "instance-a", 0, 1)
    async with a.pool.acquire() as conn:  # an eager rebalance: revoked, then the same back
        await first.take(conn, [(MILESTONE_TOPIC, 0)])
    assert first.epochs == {(MILESTONE_TOPIC, 0): 1}
    assert (await a.processor.process([milestone_record(a, "alice", 0)])).processed == 1
    assert (await a.processor.process([milestone_record(a, "bob", 1)])).fenced == 1


async def test_a_hold_of_one_instance_is_released_and_expired_by_others(
    start_service: ServiceStarter,
) -> None:
    rates = load_rates()
    a, b, c = [await start_service(PlacementHandler(rates)) for _ in range(3)]
    await a.send(job_start("plc-1", referral_id="ref-1"), job_start("plc-2", referral_id="ref-2"))
    assert len(await a.held()) == 2  # neither referral has started

    await b.send(participant_started("person-1", referral_id="ref-1"))  # another instance

    [confirmed] = of_type(await b.new_output(), PlacementConfirmed)
    assert confirmed.placement_id == "plc-1"
    for harness in (b, c):
        harness.clock.advance(timedelta(seconds=HOLD_SECONDS + 1))
    expired = await asyncio.gather(b.processor.expire_holds(), c.processor.expire_holds())
    assert sorted(expired) == [0, 1]  # the one left is rejected once, whichever sweeps
    rejected = of_type(await a.new_output(), EventRejected)
    assert [r.reason for r in rejected] == [RejectionReason.UNKNOWN_PARTICIPANT]
    assert await a.held() == []


# -- three instances of every service, concurrently -------------------------------------

INSTANCES = 3
STREAMS = journey_streams()


def instance_of(key: str) -> int:
    """The instance that owns the partition of ``key`` (partitions spread over instances)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % INSTANCES


class ScaledPipeline:
    """Every service as three instances on one database, each consuming its own queue
    (its partitions) concurrently; one relay per service moves outbox rows on."""

    def __init__(self, services: dict[Owner, list[ServiceHarness]], batch: int) -> None:
        self.services = services
        self.batch = batch
        self.queues: dict[tuple[Owner, int], asyncio.Queue[RawRecord]] = {
            (s, i): asyncio.Queue() for s in services for i in range(INSTANCES)
        }
        self.payments: list[ProviderPaymentIssued] = []
        self.rejections: list[EventRejected] = []
        self.busy = 0
        self.overlapping = 0

    def feed(self, service: Owner, event: Event) -> None:
        spec = next(s for s in CONSUMERS[service] if isinstance(event, s.models))
        key = str(getattr(event, spec.key_field))
        instance = instance_of(key)
        harness = self.services[service][instance]
        self.queues[(service, instance)].put_nowait(harness.feed.record(event, partition=instance))

    async def consume(self, service: Owner, instance: int) -> None:
        queue, harness = self.queues[(service, instance)], self.services[service][instance]
        while True:
            records = [await queue.get()]
            while len(records) < self.batch and not queue.empty():
                records.append(queue.get_nowait())
            self.busy += 1
            self.overlapping = max(self.overlapping, self.busy)
            try:
                await harness.processor.process(records)
                await self.relay(service)
            finally:
                self.busy -= 1
                for _ in records:
                    queue.task_done()

    async def relay(self, service: Owner) -> None:
        """Publish the committed outbox rows of ``service`` (each once) to its consumers."""
        pool = self.services[service][0].pool
        rows = await pool.fetch(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox FOR UPDATE SKIP LOCKED)"
            " RETURNING *"
        )
        for row in sorted(rows, key=lambda r: r["id"]):
            out = decode_outbox_row(row)
            if isinstance(out.event, EventRejected):
                self.rejections.append(out.event)
                continue
            if isinstance(out.event, ProviderPaymentIssued):
                self.payments.append(out.event)
            spec = by_name(out.topic)
            for consumer, inputs in CONSUMERS.items():
                if spec in inputs and consumer in self.services:
                    self.feed(consumer, out.event)

    async def drain(self) -> None:
        """Until every queue is empty and nothing is being processed."""
        while True:
            for queue in self.queues.values():
                await queue.join()
            if all(q.empty() for q in self.queues.values()) and self.busy == 0:
                return

    async def expire(self) -> None:
        for service, instances in self.services.items():
            for harness in instances:
                harness.clock.advance(timedelta(seconds=HOLD_SECONDS + 1))
            await instances[0].processor.expire_holds()
            await self.relay(service)
        await self.drain()

    def net(self) -> dict[tuple[str, str, MilestoneKind], int]:
        net: dict[tuple[str, str, MilestoneKind], int] = defaultdict(int)
        for p in self.payments:
            net[(p.contract_id, p.participant_id, p.milestone)] += p.amount_pence
        return {k: v for k, v in sorted(net.items()) if v}

    def reasons(self) -> dict[str, RejectionReason]:
        return {str(r.source_event_id): r.reason for r in self.rejections}


def _provider_service(event: Event) -> Owner:
    if isinstance(event, INTAKE):
        return "intake"
    assert isinstance(event, PLACEMENTS + EVIDENCE)
    return "placement" if isinstance(event, PLACEMENTS) else "sustainment"


async def run_scaled(start_service: ServiceStarter, events: list[Event]) -> ScaledPipeline:
    contracts, rates = load_contracts(), load_rates()
    services: dict[Owner, list[ServiceHarness]] = {
        "intake": [await start_service(intake_handler()) for _ in range(INSTANCES)],
        "placement": [await start_service(PlacementHandler(rates)) for _ in range(INSTANCES)],
        "sustainment": [
            await start_service(SustainmentHandler(contracts, rates)) for _ in range(INSTANCES)
        ],
        "payments": [await start_service(PaymentsHandler()) for _ in range(INSTANCES)],
    }
    pipeline = ScaledPipeline(services, batch=4)
    workers = [
        asyncio.create_task(pipeline.consume(s, i)) for s in services for i in range(INSTANCES)
    ]
    try:
        for event in events:
            pipeline.feed(_provider_service(event), event)
        await within(pipeline.drain())
        await within(pipeline.expire())
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return pipeline


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_three_instances_per_service_pay_as_one_in_shuffled_order(
    start_service: ServiceStarter, seed: int
) -> None:
    expected = simulate(natural(STREAMS), participant_key=PARTICIPANT_KEY)
    events = shuffled(STREAMS, seed)

    pipeline = await run_scaled(start_service, events)

    assert pipeline.overlapping > 1, "the instances never processed at the same time"
    assert pipeline.net() == expected.net_payments()
    assert pipeline.reasons() == expected.reasons()
