"""``--rebuild`` on real Kafka and PostgreSQL: the read model again from the topics is the
same read model."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.base import Event
from schemas.topics import resolve
from services.common import db
from services.common.messages import RawRecord
from services.common.reference import load_contracts, load_rates
from services.common.settings import ServiceSettings
from services.runtime.processor import BatchProcessor
from services.views import SCHEMA
from services.views.adapters.repository import ViewsRepository
from services.views.handlers import ViewsHandler
from services.views.rebuild import input_topic_names, rebuild, reset_schema
from services.views.records import ViewsStorage
from tests.builders import milestone_reached, participant_started, placement_confirmed
from tests.integration.conftest import spec_of
from tests.integration.test_views_service import TABLES, payment, progress, recorded

pytestmark = pytest.mark.integration


def journeys(n: int) -> list[Event]:
    """``n`` participants, each started, in work, with evidence, a milestone, a payment."""
    from datetime import date

    events: list[Event] = []
    for i in range(n):
        pid, plc = f"participant-{i}", f"plc-{i}"
        events += [
            participant_started(pid, referral_id=f"ref-{i}"),
            placement_confirmed(plc, participant_id=pid),
            recorded(f"ev-{i}", date(2024, 4, 15), date(2024, 5, 12), 210_000).model_copy(
                update={"participant_id": pid, "placement_id": plc}
            ),
            progress(210_000, date(2024, 5, 12), weeks=4, participant=pid).model_copy(
                update={"placements": ()}
            ),
            milestone_reached(participant_id=pid),
            payment(f"pay-{i}", 500_000).model_copy(update={"participant_id": pid}),
        ]
    return events


async def publish(bootstrap: str, namespace: str, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            spec = spec_of(event)
            key = str(getattr(event, spec.key_field)).encode()
            await producer.send(namespace + spec.name, event.model_dump_json().encode(), key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def consume_all(settings: ServiceSettings, processor: BatchProcessor[ViewsStorage]) -> int:
    """Consume the views inputs as the service's group until the end offsets, committing
    after each processed batch (as the service does); returns the records processed."""
    consumer = AIOKafkaConsumer(
        *input_topic_names(settings.topic_namespace),
        **settings.kafka_options(),
        group_id=settings.consumer_group(SCHEMA),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen = 0
    try:
        async with asyncio.timeout(60):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=200)
                if consumer.assignment():
                    consumer.seek_to_committed()
            ends = await consumer.end_offsets(list(consumer.assignment()))
            while any(await _behind(consumer, ends)):
                batches = await consumer.getmany(timeout_ms=500, max_records=50)
                records = [_raw(r, settings.topic_namespace) for rs in batches.values() for r in rs]
                if records:
                    await processor.process(records)
                    await consumer.commit()
                    seen += len(records)
    finally:
        await consumer.stop()
    return seen


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[bool]:
    return [await consumer.position(tp) < end for tp, end in ends.items()]


def _raw(record: Any, namespace: str) -> RawRecord:
    spec, _ = resolve(record.topic, namespace)
    return RawRecord(spec, record.topic, record.partition, record.offset, record.key, record.value)


async def snapshot(pool: db.Pool) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in TABLES:
        rows = await pool.fetch(f"SELECT * FROM {table}")
        out[table] = sorted((tuple(r.values()) for r in rows), key=repr)
    return out


async def run_views(settings: ServiceSettings) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    pool = await db.create_pool(settings.database_url, SCHEMA)
    try:
        processor = BatchProcessor(
            ViewsHandler(load_contracts(), load_rates()), pool, ViewsRepository
        )
        consumed = await consume_all(settings, processor)
        return consumed, await snapshot(pool)
    finally:
        await pool.close()


async def test_a_rebuild_from_the_topics_gives_the_same_read_model(
    kafka_bootstrap: str, namespace: str, fresh_database: str
) -> None:
    settings = ServiceSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=fresh_database,
        topic_namespace=namespace,
    )
    events = journeys(20)
    await publish(kafka_bootstrap, namespace, events)
    await reset_schema(fresh_database)

    consumed, first = await run_views(settings)
    again, nothing_new = await run_views(settings)  # a restart: nothing left to consume
    await rebuild(settings)
    rebuilt_count, rebuilt = await run_views(settings)

    assert consumed == len(events)
    assert again == 0
    assert nothing_new == first
    assert rebuilt_count == len(events)
    assert rebuilt == first
    assert len(first["participants"]) == 20
    assert len(first["payments"]) == 20
