"""Integration helpers: a service's handler on its own schema in a fresh database.

``start_service(handler)`` migrates the handler's schema in ``fresh_database`` and returns
a :class:`ServiceHarness`: the pool, a :class:`BatchProcessor` with a controllable clock,
a feed that turns event models into the raw records a consumer would receive, and
readers of the outbox decoded through the topic registry.

The event builders below give terse, valid provider and upstream events: every field
has a default that fits the default contract ``whp-central`` (Camden, starts 2024).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import BaseModel

from deploy.create_topics import ensure_topics
from schemas.base import Event
from schemas.rejections import EventRejected
from schemas.topics import (
    ALL_TOPICS,
    EVIDENCE_LEDGER,
    TopicSpec,
    all_topics,
    resolve,
    topic_name,
)
from services.common import db
from services.common.messages import RawRecord
from services.common.reference import load_contracts, load_rates
from services.intake.bootstrap import SERVICE as INTAKE_SERVICE
from services.intake.handlers import IntakeHandler
from services.payments.bootstrap import SERVICE as PAYMENTS_SERVICE
from services.payments.handlers import PaymentsHandler
from services.placement.bootstrap import SERVICE as PLACEMENT_SERVICE
from services.placement.handlers import PlacementHandler
from services.runtime.ports import Handler
from services.runtime.processor import BatchProcessor, BatchReport
from services.runtime.service import ServiceDefinition
from services.sustainment.bootstrap import SERVICE as SUSTAINMENT_SERVICE
from services.sustainment.handlers import SustainmentHandler
from services.views.bootstrap import SERVICE as VIEWS_SERVICE
from tests.builders import (
    PROVIDER,
    START,
)

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANT_KEY = b"integration-test-participant-key"
HOLD_SECONDS = 7 * 24 * 3600
CLOCK_START = datetime(2024, 12, 2, 9, 0, tzinfo=UTC)
PRODUCED_AT = datetime(2024, 12, 1, 8, 0, tzinfo=UTC)

PROGRAMME_START = START
CONTRACTS = load_contracts()
"""A Monday; the NLW in force is 1144 pence, so the earnings threshold is 475,904."""

E = TypeVar("E", bound=BaseModel)


# -- time and records --------------------------------------------------------------


class FakeClock:
    """The processor's clock: a fixed instant that a test moves forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def spec_of(event: Event) -> TopicSpec:
    """The topic an event model travels on (each model belongs to exactly one topic)."""
    specs = [s for s in ALL_TOPICS if type(event) in s.models]
    assert len(specs) == 1, f"{type(event).__name__} is on {len(specs)} topics"
    return specs[0]


class RecordFeed:
    """Raw records as a consumer receives them: the next offset per topic partition."""

    def __init__(self, namespace: str = "") -> None:
        self.namespace = namespace
        self._next_offset: dict[tuple[str, int], int] = defaultdict(int)

    def raw(
        self,
        spec: TopicSpec,
        value: bytes,
        *,
        key: str | None = None,
        partition: int = 0,
        provider_id: str | None = None,
    ) -> RawRecord:
        """A record of ``spec``; a per-provider one on ``provider_id``'s topic (default
        ``PROVIDER``)."""
        if spec.per_provider:
            provider_id = provider_id or PROVIDER
        topic = topic_name(spec, self.namespace, provider_id)
        offset = self._next_offset[(topic, partition)]
        self._next_offset[(topic, partition)] += 1
        encoded_key = key.encode() if key is not None else None
        return RawRecord(spec, topic, partition, offset, encoded_key, value)

    def record(
        self, event: Event, *, partition: int = 0, provider_id: str | None = None
    ) -> RawRecord:
        """The event as a record; a provider's event on the topic of the provider it
        names, unless ``provider_id`` says whose topic it was sent to."""
        spec = spec_of(event)
        key = str(getattr(event, spec.key_field))
        if spec.per_provider and provider_id is None:
            provider_id = getattr(event, "provider_id", None)
        return self.raw(
            spec,
            event.model_dump_json().encode(),
            key=key,
            partition=partition,
            provider_id=provider_id,
        )


# -- the outbox ------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    topic: str
    key: str
    event: Any  # one of the models of the topic named by ``topic``


def decode_outbox_row(row: Any, namespace: str = "") -> OutboxRow:
    spec, _ = resolve(row["topic"], namespace)
    event = spec.adapter.validate_json(row["value"])
    assert str(event.event_id) == row["event_id"]
    return OutboxRow(row["topic"], row["key"], event)


def of_type(rows: Sequence[OutboxRow], kind: type[E]) -> list[E]:
    """The events of one model among outbox rows, in outbox order."""
    return [r.event for r in rows if isinstance(r.event, kind)]


def meaningful(event: BaseModel, *also_ignored: str) -> dict[str, Any]:
    """An event's fields without its envelope (event id, production time)."""
    return event.model_dump(exclude={"event_id", "produced_at", *also_ignored})


# -- the service under test ------------------------------------------------------


@dataclass
class ServiceHarness:
    handler: Handler[Any]
    pool: db.Pool
    processor: BatchProcessor[Any]
    clock: FakeClock
    feed: RecordFeed
    namespace: str = ""
    _read_up_to: int = field(default=0)

    def records(self, *items: Event | RawRecord) -> list[RawRecord]:
        return [i if isinstance(i, RawRecord) else self.feed.record(i) for i in items]

    async def send(self, *items: Event | RawRecord) -> BatchReport:
        """Process one batch: events are encoded into records at the next offsets."""
        return await self.processor.process(self.records(*items))

    async def send_each(self, *items: Event | RawRecord) -> list[BatchReport]:
        """Process every item as a batch of its own, in the order given."""
        return [await self.send(item) for item in items]

    async def outbox(self) -> list[OutboxRow]:
        """Every row in the outbox, in order."""
        rows = await self.pool.fetch("SELECT * FROM outbox ORDER BY id")
        return [decode_outbox_row(r, self.namespace) for r in rows]

    async def new_output(self, *, evidence_ledger: bool = False) -> list[OutboxRow]:
        """The outbox rows written since the last call; sustainment's evidence ledger
        (for the read model: sustainment.evidence.v1) only when asked for."""
        rows = await self.pool.fetch(
            "SELECT * FROM outbox WHERE id > $1 ORDER BY id", self._read_up_to
        )
        if rows:
            self._read_up_to = max(r["id"] for r in rows)
        decoded = [decode_outbox_row(r, self.namespace) for r in rows]
        return [
            r
            for r in decoded
            if evidence_ledger or r.topic != topic_name(EVIDENCE_LEDGER, self.namespace)
        ]

    async def held(self) -> list[str]:
        """The message ids in the hold, oldest first."""
        rows = await self.pool.fetch("SELECT message_id FROM held ORDER BY held_at, message_id")
        return [r["message_id"] for r in rows]

    async def table(self, name: str) -> list[tuple[Any, ...]]:
        """A table's rows as sorted tuples, to compare state before and after."""
        rows = await self.pool.fetch(f"SELECT * FROM {name}")
        return sorted((tuple(r.values()) for r in rows), key=repr)


ServiceStarter = Callable[..., Awaitable[ServiceHarness]]


@pytest.fixture
async def start_service(fresh_database: str) -> AsyncIterator[ServiceStarter]:
    """Start a handler on its migrated schema in this test's fresh database."""
    pools: list[db.Pool] = []

    async def start(handler: Handler[Any], *, namespace: str = "") -> ServiceHarness:
        """``handler`` on its service's PostgreSQL repository (its ``bootstrap.SERVICE``)."""
        service_dir = ROOT / "services" / handler.service
        await db.migrate(fresh_database, handler.service, service_dir)
        pool = await db.create_pool(fresh_database, handler.service)
        pools.append(pool)
        clock = FakeClock(CLOCK_START)
        processor = BatchProcessor(
            handler,
            pool,
            postgres_repository(handler.service),
            namespace=namespace,
            hold_seconds=HOLD_SECONDS,
            clock=clock,
            retry_delay_seconds=0.01,
        )
        return ServiceHarness(handler, pool, processor, clock, RecordFeed(namespace), namespace)

    yield start
    for pool in pools:
        await pool.close()


def postgres_repository(service: str) -> Callable[[db.Connection], Any]:
    """The PostgreSQL repository of ``service``, as its composition root gives it."""
    definitions: dict[str, ServiceDefinition[Any]] = {
        "intake": INTAKE_SERVICE,
        "placement": PLACEMENT_SERVICE,
        "sustainment": SUSTAINMENT_SERVICE,
        "payments": PAYMENTS_SERVICE,
        "views": VIEWS_SERVICE,
    }
    return definitions[service].postgres


def intake_handler() -> IntakeHandler:
    return IntakeHandler(load_contracts(), PARTICIPANT_KEY)


@pytest.fixture
async def intake(start_service: ServiceStarter) -> ServiceHarness:
    return await start_service(intake_handler())


@pytest.fixture
async def placement(start_service: ServiceStarter) -> ServiceHarness:
    return await start_service(PlacementHandler(load_rates()))


@pytest.fixture
async def sustainment(start_service: ServiceStarter) -> ServiceHarness:
    return await start_service(SustainmentHandler(load_contracts(), load_rates()))


@pytest.fixture
async def payments(start_service: ServiceStarter) -> ServiceHarness:
    return await start_service(PaymentsHandler())


def rejection_summary(rejected: EventRejected) -> tuple[str, str, int, int]:
    """The identifying fields of a rejection: reason, source topic, partition, offset."""
    return (
        rejected.reason.value,
        rejected.source_topic,
        rejected.source_partition,
        rejected.source_offset,
    )


# ------------------------------------------------------------------- Kafka helpers


@pytest.fixture
async def namespace(kafka_bootstrap: str) -> AsyncIterator[str]:
    """A unique topic namespace with every registry topic, deleted afterwards."""
    prefix = f"it-{uuid.uuid4().hex[:8]}."
    names = await ensure_topics(kafka_bootstrap, prefix)
    yield prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


async def read_topics(
    bootstrap: str, specs: list[TopicSpec], namespace: str
) -> dict[str, list[tuple[str, bytes]]]:
    """(key, value) of every record now on each topic, read from the start to the end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(name, p)
            for name, spec in all_topics(namespace, specs=specs).items()
            for p in range(spec.partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        read: dict[str, list[tuple[str, bytes]]] = {tp.topic: [] for tp in partitions}
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                batches = await consumer.getmany(tp, timeout_ms=1000)
                for message in batches.get(tp, []):
                    read[tp.topic].append((message.key.decode(), message.value))
        return read
    finally:
        await consumer.stop()
