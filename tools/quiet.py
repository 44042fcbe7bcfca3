"""Is the pipeline quiet? Every service has consumed its inputs and emptied its outbox."""

from __future__ import annotations

import asyncio
import contextlib
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


class BacklogProbe:
    """Measures the backlog again and again with one admin client, one consumer and one
    database connection (a sample then costs a few requests, not new connections).
    Use it as an async context manager; ``measure()`` takes one sample."""

    def __init__(
        self,
        bootstrap: str,
        database_url: str,
        namespace: str,
        services: Sequence[Owner] = SERVICES,
    ) -> None:
        self.bootstrap = bootstrap
        self.database_url = database_url
        self.namespace = namespace
        self.services = tuple(services)
        self._admin = AIOKafkaAdminClient(**client_options(bootstrap))
        self._consumer = AIOKafkaConsumer(**client_options(bootstrap), group_id=None)
        self._conn: asyncpg.Connection | None = None
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def __aenter__(self) -> BacklogProbe:
        await self._admin.start()
        await self._consumer.start()
        self._conn = await asyncpg.connect(self.database_url)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()
        await self._admin.close()
        if self._conn is not None:
            await self._conn.close()

    async def _inputs(self, service: Owner) -> list[TopicPartition]:
        """The service's input partitions (asked again until all its topics exist)."""
        known = self._partitions.get(service)
        if known is not None:
            return known
        names = set(input_topics(service, self.namespace))
        existing = await topic_partitions(self.bootstrap, names)
        found = [TopicPartition(name, p) for name in sorted(existing) for p in existing[name]]
        if set(existing) == names:
            self._partitions[service] = found
        return found

    async def measure(self) -> Backlog:
        assert self._conn is not None, "use as an async context manager"
        lag: dict[str, int] = {}
        ends_total = 0
        for service in self.services:
            partitions = await self._inputs(service)
            ends = await self._consumer.end_offsets(partitions)
            group = ServiceSettings(topic_namespace=self.namespace).consumer_group(service)
            committed = await self._admin.list_consumer_group_offsets(group, partitions=partitions)
            done = {tp: (meta.offset if meta.offset >= 0 else 0) for tp, meta in committed.items()}
            lag[service] = sum(max(0, ends[tp] - done.get(tp, 0)) for tp in partitions)
            ends_total += sum(ends.values())
        outbox: dict[str, int] = {}
        for service in self.services:
            outbox[service] = int(
                await self._conn.fetchval(f'SELECT count(*) FROM "{service}".outbox')
            )
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
    probe: BacklogProbe | None = None
    try:
        while True:
            try:
                if probe is None:
                    probe = BacklogProbe(bootstrap, database_url, namespace)
                    await probe.__aenter__()
                backlog = await probe.measure()
            except KafkaError as exc:
                calm = 0
                if probe is not None:
                    await _close(probe)
                    probe = None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"pipeline not quiet after {give_up_after:.0f}s") from exc
                await asyncio.sleep(interval)
                continue
            if on_progress is not None:
                on_progress(backlog)
            quiet = backlog.quiet and backlog.end_offsets_total == previous_total
            calm = calm + 1 if quiet else 0
            previous_total = backlog.end_offsets_total
            if calm >= settle_checks:
                return backlog
            if time.monotonic() > deadline:
                raise TimeoutError(f"pipeline not quiet after {give_up_after:.0f}s: {backlog}")
            await asyncio.sleep(interval)
    finally:
        if probe is not None:
            await _close(probe)


async def _close(probe: BacklogProbe) -> None:
    with contextlib.suppress(KafkaError, OSError):  # a broker away: nothing left to close
        await probe.__aexit__(None, None, None)
