"""The ceiling of the replay benchmark: plain aiokafka consume -> produce, no work.

The same records the services drain (the provider topics of the run's namespace), read
by a consumer group of its own and written unchanged to a sink topic with the services'
producer settings (acks=all, idempotent), committing after every batch; timed from the
first poll to the last acknowledgement.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.create_topics import count_brokers, replication
from services.common.relay import make_producer

SINK_PARTITIONS = 6


@dataclass(frozen=True)
class Ceiling:
    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds


async def _sink(bootstrap: str, name: str) -> None:
    factor, configs = replication(await count_brokers(bootstrap))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, SINK_PARTITIONS, factor, topic_configs=configs)])
    finally:
        await admin.close()


async def pass_through(bootstrap: str, topics: list[str], messages: int, sink: str) -> Ceiling:
    """Consume ``messages`` records of ``topics`` and produce each to ``sink``."""
    await _sink(bootstrap, sink)
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"bench-ceiling-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=1000,
    )
    producer = make_producer(bootstrap)
    await consumer.start()
    await producer.start()
    done = 0
    began = 0.0
    try:
        async with asyncio.timeout(1800):
            while done < messages:
                batch = await consumer.getmany(timeout_ms=500, max_records=1000)
                if not batch:
                    continue
                began = began or time.monotonic()
                futures = [
                    await producer.send(sink, value=r.value, key=r.key)
                    for records in batch.values()
                    for r in records
                ]
                await asyncio.gather(*futures)
                await consumer.commit()
                done += len(futures)
        return Ceiling(done, time.monotonic() - began)
    finally:
        await producer.stop()
        await consumer.stop()
