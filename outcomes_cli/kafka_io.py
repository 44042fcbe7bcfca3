"""Kafka access of the CLI: a producer, reading topics to their end (or following them),
and the committed offsets of the services' consumer groups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from outcomes_cli.settings import CliSettings
from services.common.kafka_admin import existing_partitions as partitions_of


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None


def producer(settings: CliSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka_options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=10,
        request_timeout_ms=30_000,
    )


async def existing_partitions(settings: CliSettings, names: Iterable[str]) -> list[TopicPartition]:
    """Partitions of those of ``names`` that exist (asking never creates a topic)."""
    found = await partitions_of(settings.kafka_options(), names)
    return sorted(TopicPartition(topic, p) for topic, ids in found.items() for p in ids)


async def end_offsets(settings: CliSettings, partitions: list[TopicPartition]) -> dict[Any, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_options(), group_id=None)
    await consumer.start()
    try:
        ends: dict[Any, int] = await consumer.end_offsets(partitions) if partitions else {}
        return ends
    finally:
        await consumer.stop()


async def committed_offsets(
    settings: CliSettings, group: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """The group's committed offsets (0 where it has committed nothing)."""
    admin = AIOKafkaAdminClient(**settings.kafka_options(), request_timeout_ms=30_000)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        await admin.close()
    return {tp: max(meta.offset, 0) for tp, meta in committed.items()}


async def read_topics(
    settings: CliSettings,
    names: Iterable[str],
    *,
    from_beginning: bool = True,
    follow: bool = False,
    since_ms: int | None = None,
) -> AsyncIterator[Record]:
    """Records of the topics: from the beginning (or a timestamp, or the end), up to the
    end offsets as of the start; with ``follow``, then every new record until cancelled."""
    partitions = await existing_partitions(settings, names)
    if not partitions:
        return
    consumer = AIOKafkaConsumer(
        **settings.kafka_options(),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        request_timeout_ms=30_000,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends: dict[Any, int] = await consumer.end_offsets(partitions)
        # Where each partition starts, tracked by hand: position() may run ahead of what
        # getmany has returned (records fetched into the buffer).
        start = await _start_offsets(consumer, partitions, ends, from_beginning, since_ms)
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        pending = {tp for tp in partitions if start[tp] < ends[tp]}
        while pending or follow:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                for r in records:
                    if not follow and r.offset >= ends[tp]:
                        pending.discard(tp)
                        break
                    yield Record(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value)
                    if r.offset + 1 >= ends[tp]:
                        pending.discard(tp)
    finally:
        await consumer.stop()


async def _start_offsets(
    consumer: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    ends: dict[Any, int],
    from_beginning: bool,
    since_ms: int | None,
) -> dict[TopicPartition, int]:
    if since_ms is not None:
        found = await consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
        return {
            tp: found[tp].offset if found.get(tp) is not None else ends[tp] for tp in partitions
        }
    if from_beginning:
        beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        return beginnings
    return {tp: ends[tp] for tp in partitions}


def run(coroutine: Any) -> Any:
    """Run a coroutine to completion (the CLI's one event loop per command)."""
    return asyncio.run(coroutine)
