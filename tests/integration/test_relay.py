"""The outbox relay on real PostgreSQL and Kafka: publish, delete, publish nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from deploy.create_topics import ensure_topics
from schemas.intake import ParticipantStarted
from schemas.rejections import EventRejected
from schemas.topics import PARTICIPANTS, REJECTIONS, TopicSpec, qualified
from services.common.db import Pool
from services.common.relay import OutboxRelay, make_producer
from tests.integration.conftest import (
    ServiceStarter,
    intake_handler,
    programme_start,
    referral,
)

pytestmark = pytest.mark.integration


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
            TopicPartition(qualified(spec, namespace), p)
            for spec in specs
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


async def raw_outbox(pool: Pool) -> dict[str, list[tuple[str, bytes]]]:
    """The outbox as the relay sees it: (key, value bytes) per topic."""
    by_topic: dict[str, list[tuple[str, bytes]]] = {}
    for row in await pool.fetch("SELECT topic, key, value FROM outbox ORDER BY id"):
        by_topic.setdefault(row["topic"], []).append((row["key"], bytes(row["value"])))
    return {topic: sorted(records) for topic, records in by_topic.items()}


async def test_relay_publishes_outbox_rows_with_their_keys_then_deletes_them(
    start_service: ServiceStarter, kafka_bootstrap: str, namespace: str
) -> None:
    # given intake's outbox holds a participant start and a rejection, under the namespace
    intake = await start_service(intake_handler(), namespace=namespace)
    await intake.send(referral(), programme_start(), referral("ref-2", nino="QQ123456C"))
    pending = await intake.outbox()
    assert [type(r.event) for r in pending] == [ParticipantStarted, EventRejected]
    expected = await raw_outbox(intake.pool)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        relay = OutboxRelay(intake.pool, producer, "intake", namespace=namespace)

        # when the relay publishes
        published = await relay.publish_once()
        again = await relay.publish_once()
    finally:
        await producer.stop()

    # then exactly those events are on the namespaced topics, keyed, and the outbox is empty
    read = await read_topics(kafka_bootstrap, [PARTICIPANTS, REJECTIONS["intake"]], namespace)
    assert {topic: sorted(records) for topic, records in read.items()} == expected
    assert set(read) == {f"{namespace}intake.participants.v1", f"{namespace}intake.rejections.v1"}
    assert pending[0].key == pending[0].event.participant_id
    assert published == 2
    assert await intake.outbox() == []
    # and running it again published nothing
    assert again == 0
