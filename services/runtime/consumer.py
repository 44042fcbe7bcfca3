"""A service's input consumer: a plain aiokafka consumer in the service's consumer group.

faust hosts the worker (start, stop, timers, tasks); the records come from here, not from
a faust stream, for two reasons measured in docs/performance.md and docs/scale.md:

* faust hands a stream one message at a time (a task pair per message in its conductor
  and ``_drain_messages``): 15-30 % of each service's CPU in a backlog drain. Here a
  batch is one ``getmany`` of what the fetcher has buffered;
* faust's acknowledgement bookkeeping could leave a partition's committed offset behind
  for good after an early rebalance (lag that never reached 0). Here the offsets of a
  batch are committed right after its PostgreSQL transaction, and a commit that fails
  (a rebalance, a broker restarting) stays pending and is retried at the next poll.

PostgreSQL stays the arbiter: the inbox makes a redelivered record a no-op and the owner
epochs of runtime/ownership.py fence an instance that lost a partition. Kafka's committed
offsets only say where an owner starts reading after a rebalance or a restart.

A batch is gathered like this: wait up to ``POLL_SECONDS`` for the first records, then
take whatever else is already buffered (no waiting) until ``batch_max`` records or
``batch_within`` seconds. A backlog gives full batches at once; a trickle gives small
batches without a timer's wait at each hop.

Rebalancing is aiokafka's (eager). On revocation the instance stops taking new batches,
lets the batch in hand finish (up to ``REVOKE_WAIT_SECONDS``) and commits its offsets, so
the next owner does not redo it; records fetched before a rebalance and not yet begun
are dropped and fetched again from the committed offsets. On assignment ``take`` writes
the instance as the partitions' owner (runtime/ownership.py) before any batch of them is
processed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from services.runtime.ownership import PartitionOwnership

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
REVOKE_WAIT_SECONDS = 10.0
TOPICS_POLL_SECONDS = 1.0

Partition = tuple[str, int]
Take = Callable[[set[Partition]], Awaitable[None]]
Process = Callable[[Sequence[ConsumerRecord[bytes, bytes]]], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerOptions:
    """How the consumer joins its group and fetches (see app.ConsumerSettings)."""

    group_id: str
    group_instance_id: str | None
    session_timeout_seconds: float
    heartbeat_interval_seconds: float
    max_partition_fetch_bytes: int
    batch_max: int
    batch_within_seconds: float
    metadata_max_age_seconds: float = 300.0
    client: Mapping[str, Any] = field(default_factory=dict)
    """aiokafka's connection options: ``bootstrap_servers``, security, SASL."""


@dataclass(frozen=True)
class Offsets:
    """What the lag gauge needs, per assigned partition."""

    assigned: list[TopicPartition]
    highwaters: dict[TopicPartition, int | None]
    committed: dict[TopicPartition, int | None]
    earliest: dict[TopicPartition, int | None]


def next_offsets(
    records: Iterable[ConsumerRecord[bytes, bytes]], keep: Callable[[Partition], bool]
) -> dict[TopicPartition, int]:
    """The offset after the last record of each partition that ``keep`` accepts."""
    ends: dict[TopicPartition, int] = {}
    for r in records:
        if keep((r.topic, r.partition)):
            tp = TopicPartition(r.topic, r.partition)
            ends[tp] = max(ends.get(tp, 0), r.offset + 1)
    return ends


class InputConsumer:
    """The consumer of one service instance's input topics."""

    def __init__(
        self,
        topics: Sequence[str],
        options: ConsumerOptions,
        ownership: PartitionOwnership,
        take: Take,
    ) -> None:
        self.topics = list(topics)
        self.options = options
        self.ownership = ownership
        self._take = take
        self._consumer: AIOKafkaConsumer | None = None
        self._generation = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending: dict[TopicPartition, int] = {}
        """Offsets processed but not committed yet (a commit failed)."""
        self._committed: dict[TopicPartition, int] = {}
        self.missing: list[str] = []
        """Input topics the broker does not have (yet): nothing is consumed until none."""
        self._subscribed = False

    @property
    def connected(self) -> bool:
        return self._consumer is not None

    @property
    def started(self) -> AIOKafkaConsumer | None:
        """The consumer, once it has subscribed to its input topics (all of them exist)."""
        return self._consumer if self._subscribed else None

    async def start(self) -> None:
        """Connect; wait until every input topic exists; join the group."""
        o = self.options
        consumer = AIOKafkaConsumer(
            **dict(o.client),
            group_id=o.group_id,
            group_instance_id=o.group_instance_id,
            client_id=o.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=o.max_partition_fetch_bytes,
            session_timeout_ms=int(o.session_timeout_seconds * 1000),
            heartbeat_interval_ms=int(o.heartbeat_interval_seconds * 1000),
            metadata_max_age_ms=int(o.metadata_max_age_seconds * 1000),
        )
        await consumer.start()
        self._consumer = consumer
        await self._wait_for_topics(consumer)
        consumer.subscribe(self.topics, listener=_Rebalance(self))
        self._subscribed = True

    async def _wait_for_topics(self, consumer: AIOKafkaConsumer) -> None:
        said: list[str] = []
        while True:
            existing = await consumer.topics()
            self.missing = [t for t in self.topics if t not in existing]
            if not self.missing:
                return
            if self.missing != said:
                log.warning("waiting for input topics: %s", ", ".join(self.missing))
                said = self.missing
            await asyncio.sleep(TOPICS_POLL_SECONDS)

    async def stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        self._subscribed = False
        if consumer is not None:
            await self._commit_pending(consumer)
            await consumer.stop()

    async def run(self, process: Process) -> None:
        """Process batches until cancelled; commit each one's offsets after it."""
        consumer = self._consumer
        assert consumer is not None, "start() first"
        while True:
            generation, records = await self._gather(consumer)
            if not records:
                await self._commit_pending(consumer)
                continue
            await self.ownership.settled.wait()  # not between a revocation and assignment
            if generation != self._generation:
                continue  # returned before a rebalance: read again from the committed offsets
            self._idle.clear()
            try:
                await process(records)
                self._pending.update(next_offsets(records, self._mine(consumer)))
                await self._commit_pending(consumer)
            finally:
                self._idle.set()

    async def _gather(
        self, consumer: AIOKafkaConsumer
    ) -> tuple[int, list[ConsumerRecord[bytes, bytes]]]:
        """A batch, with the rebalance generation it was returned in.

        Records returned before a revocation are left out: the assignment that follows
        starts its partitions again at their committed offsets, so they come again.
        """
        o = self.options
        got = await consumer.getmany(timeout_ms=int(POLL_SECONDS * 1000), max_records=o.batch_max)
        generation = self._generation
        records = [r for batch in got.values() for r in batch]
        if not records:
            return generation, records
        loop = asyncio.get_running_loop()
        deadline = loop.time() + o.batch_within_seconds
        while len(records) < o.batch_max and loop.time() < deadline:
            more = await consumer.getmany(timeout_ms=0, max_records=o.batch_max - len(records))
            if not more:
                break
            if self._generation != generation:
                generation, records = self._generation, []
            records += [r for batch in more.values() for r in batch]
        return generation, records

    def _mine(self, consumer: AIOKafkaConsumer) -> Callable[[Partition], bool]:
        assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        return lambda tp: tp in assigned and self.ownership.owns(*tp)

    async def _commit_pending(self, consumer: AIOKafkaConsumer) -> None:
        assigned = consumer.assignment()
        for tp in [tp for tp in self._pending if tp not in assigned]:
            del self._pending[tp]  # revoked: its next owner reads from the last commit
        if not self._pending:
            return
        offsets = dict(self._pending)
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:  # a rebalance, a broker away: retried at the next poll
            log.info("offsets not committed yet (%r); retried at the next poll", exc)
            return
        for tp, offset in offsets.items():
            if self._pending.get(tp) == offset:
                del self._pending[tp]
            self._committed[tp] = offset

    async def _revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self._generation += 1
        self.ownership.revoking()
        try:
            await asyncio.wait_for(self._idle.wait(), REVOKE_WAIT_SECONDS)
        except TimeoutError:
            log.warning("a batch still running after %.0f s of a rebalance", REVOKE_WAIT_SECONDS)
        consumer = self._consumer
        if consumer is not None:
            await self._commit_pending(consumer)
        for tp in revoked:
            self._pending.pop(tp, None)
            self._committed.pop(tp, None)

    async def _assigned(self, assigned: Iterable[TopicPartition]) -> None:
        mine = {(tp.topic, tp.partition) for tp in assigned if tp.topic in self.topics}
        await self._take(mine)

    def assignment(self) -> list[TopicPartition]:
        consumer = self._consumer
        return sorted(consumer.assignment()) if consumer is not None else []

    def partitions_for(self, topic: str) -> int | None:
        """The topic's partition count in the consumer's cluster metadata (None: unknown,
        or the broker does not have the topic)."""
        consumer = self._consumer
        if consumer is None or topic in self.missing:
            return None
        partitions = consumer.partitions_for_topic(topic)
        return len(partitions) if partitions else None

    async def offsets(self) -> Offsets:
        """Highwaters, committed and earliest offsets of the assigned partitions."""
        consumer = self._consumer
        assigned = self.assignment()
        if consumer is None or not assigned:
            return Offsets([], {}, {}, {})
        highwaters: dict[TopicPartition, int | None] = dict(await consumer.end_offsets(assigned))
        for tp in assigned:
            if tp not in self._committed:
                known = await consumer.committed(tp)
                if known is not None:
                    self._committed[tp] = known
        committed: dict[TopicPartition, int | None] = {
            tp: self._committed.get(tp) for tp in assigned
        }
        missing = [tp for tp in assigned if committed[tp] is None]
        earliest: dict[TopicPartition, int | None] = (
            dict(await consumer.beginning_offsets(missing)) if missing else {}
        )
        return Offsets(assigned, highwaters, committed, earliest)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: InputConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.owner._revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self.owner._assigned(assigned)
