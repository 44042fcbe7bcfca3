"""Is the pipeline quiet? Every service has consumed its inputs and emptied its outbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from schemas.topics import SERVICES, Owner, input_topics
from services.common.settings import ServiceSettings, client_options
from tools.summary import topic_partitions


@dataclass(frozen=True)
class Backlog:
    """Records not yet consumed (committed) and events not yet published, per service."""

    lag: dict[str, int]
    outbox: dict[str, int]
    end_offsets_total: int

    @property
    def quiet(self) -> bool:
        return not any(self.lag.values()) and not any(self.outbox.values())


async def measure_backlog(
    bootstrap: str, database_url: str, namespace: str, services: Sequence[Owner] = SERVICES
) -> Backlog:
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    consumer = AIOKafkaConsumer(**client_options(bootstrap), group_id=None)
    await admin.start()
    await consumer.start()
    lag: dict[str, int] = {}
    ends_total = 0
    try:
        for service in services:
            names = set(input_topics(service, namespace))
            existing = await topic_partitions(bootstrap, names)
            partitions = [
                TopicPartition(name, p) for name in sorted(existing) for p in existing[name]
            ]
            ends = await consumer.end_offsets(partitions)
            group = ServiceSettings(topic_namespace=namespace).consumer_group(service)
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            done = {tp: (meta.offset if meta.offset >= 0 else 0) for tp, meta in committed.items()}
            lag[service] = sum(max(0, ends[tp] - done.get(tp, 0)) for tp in partitions)
            ends_total += sum(ends.values())
    finally:
        await consumer.stop()
        await admin.close()
    outbox: dict[str, int] = {}
    conn = await asyncpg.connect(database_url)
    try:
        for service in services:
            outbox[service] = int(await conn.fetchval(f'SELECT count(*) FROM "{service}".outbox'))
    finally:
        await conn.close()
    return Backlog(lag, outbox, ends_total)


async def wait_until_quiet(
    bootstrap: str,
    database_url: str,
    namespace: str,
    *,
    give_up_after: float = 900.0,
    interval: float = 1.0,
    settle_checks: int = 3,
    on_progress: Callable[[Backlog], None] | None = None,
) -> Backlog:
    """Poll until the backlog is empty ``settle_checks`` times in a row with no new records.

    A poll the broker does not answer in time (a busy shared broker) counts as not calm;
    polling goes on until ``give_up_after``.
    """
    deadline = time.monotonic() + give_up_after
    calm = 0
    previous_total = -1
    while True:
        try:
            backlog = await measure_backlog(bootstrap, database_url, namespace)
        except KafkaError as exc:
            calm = 0
            if time.monotonic() > deadline:
                raise TimeoutError(f"pipeline not quiet after {give_up_after:.0f}s") from exc
            await asyncio.sleep(interval)
            continue
        if on_progress is not None:
            on_progress(backlog)
        calm = calm + 1 if backlog.quiet and backlog.end_offsets_total == previous_total else 0
        previous_total = backlog.end_offsets_total
        if calm >= settle_checks:
            return backlog
        if time.monotonic() > deadline:
            raise TimeoutError(f"pipeline not quiet after {give_up_after:.0f}s: {backlog}")
        await asyncio.sleep(interval)
