"""Waiting until what a provider sent has been processed, then reading held and rejected.

"Processed" is read from the services themselves:

1. every consuming service's consumer group has committed an offset past each record
   sent (offsets come from the publish receipt, or are the topics' end offsets now);
   services commit only after the database transaction that accepted, held or
   rejected the record;
2. every row that transaction put in the service's outbox has been published (the
   outbox's ids up to its maximum at that moment are gone), so a rejection is on the
   rejection topic;
3. the same again for the internal topics those services wrote (participants, then
   placements), so an event released by what the file itself provided is not reported
   as held.

Then the held events are the rows of the services' ``held`` tables for the provider's
topics (read from PostgreSQL), and the rejected ones are on the provider's rejection topic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import TopicPartition

from outcomes_cli.kafka_io import committed_offsets, end_offsets, existing_partitions, read_topics
from outcomes_cli.publish import Receipt
from outcomes_cli.rejections import decode_rejection
from outcomes_cli.settings import CliSettings
from outcomes_cli.status_logic import Held
from outcomes_cli.topology import (
    PROVIDER_KINDS,
    SPEC_BY_TYPE,
    consumers_of,
    provider_topic,
    rejection_topics,
)
from schemas.rejections import EventRejected
from schemas.topics import CONSUMERS, PARTICIPANTS, PLACEMENTS, Owner, qualified

Targets = dict[Owner, dict[TopicPartition, int]]  # service -> partition -> offset to pass
HOLDING_SERVICES: tuple[Owner, ...] = ("intake", "placement", "sustainment")


@dataclass
class Progress:
    behind: dict[str, int]


def receipt_targets(receipt: Receipt) -> Targets:
    targets: Targets = {}
    for s in receipt.sent:
        for service in consumers_of(SPEC_BY_TYPE[s.type]):
            tp = TopicPartition(s.topic, s.partition)
            wanted = targets.setdefault(service, {})
            wanted[tp] = max(wanted.get(tp, 0), s.offset + 1)
    return targets


def provider_topics(settings: CliSettings, provider_id: str) -> dict[str, Owner]:
    """The provider's inbound topics and the service consuming each."""
    return {
        provider_topic(spec, provider_id, settings.topic_namespace): consumers_of(spec)[0]
        for spec in PROVIDER_KINDS
    }


async def end_targets(settings: CliSettings, topics: Mapping[str, Iterable[Owner]]) -> Targets:
    """Everything on ``topics`` now, for each of their consumers."""
    partitions = await existing_partitions(settings, topics)
    ends = await end_offsets(settings, partitions)
    targets: Targets = {}
    for tp in partitions:
        for service in topics[tp.topic]:
            targets.setdefault(service, {})[tp] = ends[tp]
    return targets


async def behind(settings: CliSettings, targets: Targets) -> dict[str, int]:
    """Records each service still has to process to pass its targets."""
    out: dict[str, int] = {}
    for service, wanted in targets.items():
        done = await committed_offsets(settings, settings.consumer_group(service), list(wanted))
        out[service] = sum(max(0, need - done.get(tp, 0)) for tp, need in wanted.items())
    return out


async def _outboxes_flushed(conn: asyncpg.Connection, services: Iterable[str]) -> None:
    """Wait until the rows in the services' outboxes now have been published (deleted)."""
    marks = {s: await conn.fetchval(f'SELECT max(id) FROM "{s}".outbox') for s in services}
    for service, mark in marks.items():
        if mark is None:
            continue
        query = f'SELECT count(*) FROM "{service}".outbox WHERE id <= $1'
        while await conn.fetchval(query, mark):  # noqa: ASYNC110 - polling another process
            await asyncio.sleep(0.2)


async def wait_processed(
    settings: CliSettings,
    first: Targets,
    *,
    wait: bool,
    timeout: float,  # noqa: ASYNC109 - a deadline across several waits
    on_progress: Callable[[dict[str, int]], None] | None = None,
    conn: asyncpg.Connection | None = None,
) -> dict[str, int]:
    """Wait (or look once) until ``first`` and what it caused downstream is processed.
    Returns what is still behind (empty values when everything is processed). Without a
    database connection the outboxes cannot be watched: a rejection may follow shortly."""
    deadline = time.monotonic() + timeout
    internal = {
        qualified(spec, settings.topic_namespace): [
            s for s, ins in CONSUMERS.items() if spec in ins
        ]
        for spec in (PARTICIPANTS, PLACEMENTS)
    }
    targets = first
    for _round in range(4):
        while True:
            left = await behind(settings, targets)
            if on_progress is not None:
                on_progress(left)
            if not any(left.values()):
                break
            if not wait or time.monotonic() > deadline:
                return left
            await asyncio.sleep(0.5)
        if conn is not None:
            await asyncio.wait_for(
                _outboxes_flushed(conn, targets), max(1.0, deadline - time.monotonic())
            )
        targets = await end_targets(settings, internal)
        if not any((await behind(settings, targets)).values()):
            break
    return {}


async def connect_database(settings: CliSettings) -> asyncpg.Connection | None:
    """A connection to the services' database, or None when it cannot be had."""
    try:
        return await asyncpg.connect(settings.database_url, timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return None


async def held_events(conn: asyncpg.Connection, topics: Iterable[str]) -> list[Held]:
    """The events of ``topics`` that the services hold, oldest first."""
    names = sorted(topics)
    out: list[Held] = []
    for service in HOLDING_SERVICES:
        rows = await conn.fetch(
            f'SELECT message_id, topic, partition, "offset", waiting_for, value, held_at'
            f' FROM "{service}".held WHERE topic = ANY($1::text[])',
            names,
        )
        for row in rows:
            item = Held(
                service,
                row["message_id"],
                row["topic"],
                row["partition"],
                row["offset"],
                row["waiting_for"],
                bytes(row["value"]),
                f"{row['held_at']:%Y-%m-%d %H:%M:%S}",
            )
            out.append(item)
    return sorted(out, key=lambda h: (h.held_at, h.position))


async def provider_rejections(settings: CliSettings, provider_id: str) -> list[EventRejected]:
    out: list[EventRejected] = []
    async for record in read_topics(
        settings, rejection_topics(provider_id, settings.topic_namespace)
    ):
        rejection = decode_rejection(record.value)
        if rejection is not None:
            out.append(rejection)
    return out
