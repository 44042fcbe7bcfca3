"""The input consumer (services/runtime/consumer.py) on the real broker and database.

Each instance takes its partitions in ``partition_owners`` (runtime/ownership.py) as a
service does; the processing is replaced by recording what was delivered: these tests
are about what Kafka delivers and what offsets end up committed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.common import db
from services.runtime.consumer import ConsumerOptions, InputConsumer
from services.runtime.ownership import PartitionOwnership

pytestmark = pytest.mark.integration

PARTITIONS = 4
OWNERS_TABLE = Path(db.__file__).parent / "migrations" / "007_partition_owners.sql"


@pytest.fixture
async def owners(fresh_database: str) -> AsyncIterator[db.Pool]:
    """A database with the ``partition_owners`` table of every service's schema."""
    pool = await db.create_pool(fresh_database, "public")
    async with pool.acquire() as conn:
        await conn.execute(OWNERS_TABLE.read_text())
    try:
        yield pool
    finally:
        await pool.close()


@dataclass
class Instance:
    consumer: InputConsumer
    seen: list[tuple[str, int, int]] = field(default_factory=list)
    batches: int = 0

    async def process(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        self.batches += 1
        self.seen += [(r.topic, r.partition, r.offset) for r in records]


def instance(bootstrap: str, group: str, topics: list[str], name: str, pool: db.Pool) -> Instance:
    ownership = PartitionOwnership(name)

    async def take(mine: set[tuple[str, int]]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await ownership.take(conn, mine)

    options = ConsumerOptions(
        group_id=group,
        group_instance_id=name,
        session_timeout_seconds=10.0,
        heartbeat_interval_seconds=1.0,
        max_partition_fetch_bytes=64 * 1024,
        batch_max=50,
        batch_within_seconds=0.05,
        client={"bootstrap_servers": bootstrap},
    )
    return Instance(InputConsumer(topics, options, ownership, take))


@asynccontextmanager
async def running(member: Instance) -> AsyncIterator[Instance]:
    async def consume() -> None:
        await member.consumer.start()
        await member.consumer.run(member.process)

    task = asyncio.create_task(consume())
    try:
        yield member
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await member.consumer.stop()


async def create_topics(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()


async def publish(bootstrap: str, topic: str, count: int, start: int = 0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(start, start + count):
            await producer.send(topic, f"v{n}".encode(), key=f"k{n % 17}".encode())
        await producer.flush()
    finally:
        await producer.stop()


async def group_lag(bootstrap: str, group: str, topics: list[str]) -> int:
    """Records not committed by ``group``: end offsets minus committed offsets."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)  # no group: reads offsets only
    await admin.start()
    await probe.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        tps = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        ends = await probe.end_offsets(tps)
    finally:
        await probe.stop()
        await admin.close()
    return sum(ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in tps)


async def until(condition: object, seconds: float) -> None:
    async def wait() -> None:
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110  (polls the consumers)
            await asyncio.sleep(0.1)

    await asyncio.wait_for(wait(), seconds)


def in_order_per_partition(seen: list[tuple[str, int, int]]) -> bool:
    last: dict[tuple[str, int], int] = {}
    for topic, partition, offset in seen:
        if last.get((topic, partition), -1) >= offset:
            return False
        last[(topic, partition)] = offset
    return True


async def test_every_record_is_processed_and_its_offset_committed_after_its_batch(
    kafka_bootstrap: str, owners: db.Pool
) -> None:
    topic, group = f"consumer-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [topic])
    await publish(kafka_bootstrap, topic, 400)
    async with running(instance(kafka_bootstrap, group, [topic], "one", owners)) as member:
        await until(lambda: len(member.seen) >= 400, 60)
        await until(lambda: not member.consumer._pending, 10)
        assert len(member.seen) == 400
        assert in_order_per_partition(member.seen)
        assert member.batches < 400  # batched, not record by record
        assert await group_lag(kafka_bootstrap, group, [topic]) == 0


async def test_after_a_second_instance_joins_nothing_is_lost_and_the_lag_reaches_zero(
    kafka_bootstrap: str, owners: db.Pool
) -> None:
    topics = [f"consumer-{uuid.uuid4().hex[:8]}-{n}" for n in range(2)]
    group = f"g-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, topics)
    for topic in topics:
        await publish(kafka_bootstrap, topic, 300)
    a, b = (instance(kafka_bootstrap, group, topics, n, owners) for n in ("a", "b"))
    async with running(a):
        await until(lambda: len(a.seen) > 0, 60)
        async with running(b):  # an eager rebalance while a is consuming
            await until(lambda: b.consumer.assignment() and a.consumer.assignment(), 60)
            for topic in topics:
                await publish(kafka_bootstrap, topic, 300, start=300)

            def everything_seen() -> bool:  # offsets are unique per partition
                return len(set(a.seen + b.seen)) == 2 * 600

            await until(everything_seen, 90)
            await until(lambda: not a.consumer._pending and not b.consumer._pending, 20)
            assert b.seen, "the second instance was given partitions and consumed"
            assert in_order_per_partition(a.seen)
            assert in_order_per_partition(b.seen)
            assert await group_lag(kafka_bootstrap, group, topics) == 0
            async with owners.acquire() as conn:
                owned = await conn.fetch("SELECT owner FROM partition_owners")
            assert {r["owner"] for r in owned} == {"a", "b"}


async def test_a_consumer_waits_for_missing_input_topics_then_consumes_them(
    kafka_bootstrap: str, owners: db.Pool
) -> None:
    topic, group = f"consumer-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    async with running(instance(kafka_bootstrap, group, [topic], "late", owners)) as member:
        await until(lambda: member.consumer.missing == [topic], 20)
        assert member.consumer.started is None
        assert member.consumer.partitions_for(topic) is None
        await create_topics(kafka_bootstrap, [topic])
        await publish(kafka_bootstrap, topic, 20)
        await until(lambda: len(member.seen) == 20, 60)
        assert member.consumer.partitions_for(topic) == PARTITIONS
