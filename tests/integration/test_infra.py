"""The local infrastructure answers real client requests: Kafka metadata, topics from the
registry, a produce/consume round trip, and PostgreSQL queries."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.create_topics import ensure_topics
from schemas.topics import all_topics

pytestmark = pytest.mark.integration


def _namespace() -> str:
    return f"test-{uuid.uuid4().hex[:12]}."


async def test_registry_topics_exist_after_ensure_topics(kafka_bootstrap: str) -> None:
    namespace = _namespace()
    expected = {name: spec.partitions for name, spec in all_topics(namespace).items()}

    names = await ensure_topics(kafka_bootstrap, namespace)
    again = await ensure_topics(kafka_bootstrap, namespace)  # idempotent

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        described = await admin.describe_topics(names)
        await admin.delete_topics(names)
    finally:
        await admin.close()
    assert cluster["brokers"]
    assert names == again == list(expected)
    assert {t["topic"]: len(t["partitions"]) for t in described} == expected


async def test_produce_consume_round_trip(kafka_bootstrap: str) -> None:
    topic = f"{_namespace()}round-trip"
    sent = [(f"key-{i}".encode(), f"value-{i}".encode()) for i in range(5)]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for key, value in sent:
                await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=f"{topic}.group",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            received: list[tuple[bytes, bytes]] = []
            async with asyncio.timeout(30):
                async for message in consumer:
                    received.append((message.key, message.value))
                    if len(received) == len(sent):
                        break
        finally:
            await consumer.stop()
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    assert received == sent


async def test_postgres_answers(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("select 1") == 1
    finally:
        await connection.close()


async def test_fresh_database_is_empty_and_writable(fresh_database: str) -> None:
    connection = await asyncpg.connect(fresh_database)
    try:
        assert (
            await connection.fetchval("select current_database()")
            == fresh_database.rsplit("/", 1)[-1]
        )
        await connection.execute("create table probe (id int primary key)")
        await connection.execute("insert into probe values (1)")
        assert await connection.fetchval("select count(*) from probe") == 1
    finally:
        await connection.close()
