"""The outbox relay: publishes committed outbox rows to Kafka, then deletes them.

At-least-once: a crash between publish and delete re-publishes the same events with the
same event ids, which every consumer's inbox recognises.

The relay never blocks the line:

* every row is sent with its own delivery future, and each row's result is handled on its
  own: delivered rows are deleted, the others stay or go to ``dead_letters``;
* a row the broker refuses *permanently* (too large, unknown topic, not authorised,
  invalid record) is moved to the ``dead_letters`` table with the error, counted in
  ``outcomes_outbox_dead_letters_total{service}``, logged once, and the rows behind it
  are published as usual. A row that failed with others in one broker batch is first
  retried alone, so only the row at fault is dead-lettered;
* transient failures (broker or database unreachable, metadata not available) leave the
  rows in the outbox and back off exponentially (``backoff_initial_seconds`` ..
  ``backoff_max_seconds``);
* rows the broker acknowledged are remembered until their delete commits, so a database
  failure after a publish does not publish them again;
* one relay of a service publishes at a time: a round holds the service's relay lock
  (a PostgreSQL session advisory lock, released at the end of the round or with its
  connection), so N instances of a service never send the same rows N times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidProducerEpoch,
    InvalidTimestampError,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    PolicyViolationError,
    ProducerFenced,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnknownProducerId,
    UnknownTopicOrPartitionError,
    UnsupportedForMessageFormatError,
)

from schemas.topics import kind_name
from services.common import db, metrics
from services.common.backoff import Backoff
from services.common.partitioner import partition_for

log = logging.getLogger(__name__)

MAX_RECORD_BYTES: Final = 1_000_000
"""Key + value above this are dead-lettered without being sent: the broker's default
``max.message.bytes`` is 1,048,588 for a whole record batch (headers included)."""

PERMANENT_ERRORS: Final[tuple[type[KafkaError], ...]] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTopicError,
    TopicAuthorizationFailedError,
    InvalidTimestampError,
    UnsupportedForMessageFormatError,
    PolicyViolationError,
)
"""Errors about the record or its topic: sending it again gives the same answer."""

PRODUCER_STATE_ERRORS: Final[tuple[type[KafkaError], ...]] = (
    OutOfOrderSequenceNumber,
    InvalidProducerEpoch,
    UnknownProducerId,
    ProducerFenced,
)
"""The idempotent producer's sequence state is broken (e.g. after a refused batch):
replace the producer and send again."""

TRANSIENT_ERRORS: Final[tuple[type[BaseException], ...]] = (
    KafkaError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)


class RecordTooLarge(Exception):
    """A row over ``max_record_bytes``: never sent."""


class UnknownTopic(Exception):
    """The broker answered metadata requests without this topic for the grace period."""


@dataclass(frozen=True)
class Row:
    id: int
    topic: str
    key: str
    value: bytes

    @staticmethod
    def of(record: Any) -> Row:
        return Row(record["id"], record["topic"], record["key"], bytes(record["value"]))


@dataclass
class RoundResult:
    """What one round did with the rows it read."""

    read: int = 0
    delivered: int = 0
    dead: int = 0
    pending: int = 0

    @property
    def progressed(self) -> bool:
        return self.delivered + self.dead > 0


class OutboxRelay:
    def __init__(
        self,
        pool: db.Pool,
        producer_factory: Callable[[], AIOKafkaProducer],
        service: str,
        *,
        wake: asyncio.Event | None = None,
        batch_size: int = 2000,
        idle_seconds: float = 0.2,
        namespace: str = "",
        max_record_bytes: int = MAX_RECORD_BYTES,
        unknown_topic_grace_seconds: float = 30.0,
        backoff_initial_seconds: float = 0.2,
        backoff_max_seconds: float = 30.0,
    ) -> None:
        self.pool = pool
        self.producer_factory = producer_factory
        self.service = service
        self.wake = wake or asyncio.Event()
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.namespace = namespace
        self.max_record_bytes = max_record_bytes
        self.unknown_topic_grace_seconds = unknown_topic_grace_seconds
        self.backoff = Backoff(backoff_initial_seconds, backoff_max_seconds)
        self.producer: AIOKafkaProducer | None = None
        self._delivered_not_deleted: set[int] = set()
        self._missing_since: dict[str, float] = {}

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> AIOKafkaProducer:
        if self.producer is None:
            producer = self.producer_factory()
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self.producer = producer
        return self.producer

    async def stop(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            await producer.stop()

    async def _renew_producer(self) -> AIOKafkaProducer:
        """A new producer (new producer id, fresh sequence numbers)."""
        await self.stop()
        return await self.start()

    async def run(self) -> None:
        """Publish forever: right away while there is work, else on wake-up or every idle."""
        try:
            while True:
                # Cleared before the round reads the outbox, so a commit that lands while
                # the round runs wakes the next wait at once (never lost to a late clear).
                self.wake.clear()
                try:
                    result = await self.publish_round()
                except TRANSIENT_ERRORS as exc:
                    await self._back_off(exc)
                    continue
                if result.progressed:
                    self.backoff.reset()
                    continue
                if result.pending:
                    await self._back_off(None)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=self.idle_seconds)
        finally:
            await self.stop()

    async def _back_off(self, exc: BaseException | None) -> None:
        metrics.RELAY_FAILURES.labels(self.service).inc()
        delay = self.backoff.next()
        what = f"{exc!r}" if exc is not None else "rows could not be published yet"
        log.warning("outbox relay: %s; retrying in %.1fs", what, delay)
        await asyncio.sleep(delay)

    # -- one round -----------------------------------------------------------------------

    async def publish_once(self) -> int:
        """One round; the number of rows published (kept for callers that count)."""
        return (await self.publish_round()).delivered

    async def publish_round(self) -> RoundResult:
        """One round under the service's relay lock; nothing when another instance's relay
        holds it (that relay publishes the rows, and deletes them before it lets go)."""
        async with self.pool.acquire() as conn:
            key = f"outbox-relay:{self.service}"
            if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
                return RoundResult(read=0)
            try:
                return await self._publish_round(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", key)

    async def _publish_round(self, conn: db.Connection) -> RoundResult:
        """The round's statements all go through ``conn``, the connection holding the lock."""
        if self._delivered_not_deleted:
            await self._delete(conn, sorted(self._delivered_not_deleted))
        records = await conn.fetch(
            "SELECT id, topic, key, value FROM outbox ORDER BY id LIMIT $1", self.batch_size
        )
        rows = [Row.of(r) for r in records]
        result = RoundResult(read=len(rows))
        if not rows:
            return result
        producer = await self.start()
        dead: dict[int, str] = {}
        waiting: set[int] = set()
        sendable: list[Row] = []
        verdicts = await self._check_topics(producer, {r.topic for r in rows})
        for row in rows:
            size = len(row.key.encode()) + len(row.value)
            verdict = verdicts.get(row.topic)
            if size > self.max_record_bytes:
                dead[row.id] = repr(
                    RecordTooLarge(f"{size:,} bytes, over the limit of {self.max_record_bytes:,}")
                )
            elif isinstance(verdict, BaseException):
                dead[row.id] = repr(verdict)
            elif verdict == "wait":
                waiting.add(row.id)
            else:
                sendable.append(row)
        delivered, refused, unsent = await self._send_all(producer, sendable, dead)
        if refused:
            delivered_alone, unsent_alone = await self._send_alone(refused, dead)
            delivered += delivered_alone
            unsent += unsent_alone
        self._delivered_not_deleted.update(r.id for r in delivered)
        await self._delete(conn, sorted(self._delivered_not_deleted))
        await self._dead_letter(conn, rows, dead)
        for topic, n in Counter(r.topic for r in delivered).items():
            metrics.EVENTS_PRODUCED.labels(self.service, kind_name(topic, self.namespace)).inc(n)
        result.delivered = len(delivered)
        result.dead = len(dead)
        result.pending = len(waiting) + len(unsent)
        return result

    async def _check_topics(
        self, producer: AIOKafkaProducer, topics: set[str]
    ) -> dict[str, BaseException | str]:
        """Topics the broker does not know: ``"wait"`` (transient) or a permanent error."""
        client = producer.client
        verdicts: dict[str, BaseException | str] = {}
        for topic in sorted(topics):
            if client.cluster.partitions_for_topic(topic) is not None:
                self._missing_since.pop(topic, None)
                continue
            await client.add_topic(topic)
            updated = await client.force_metadata_update()
            if client.cluster.partitions_for_topic(topic) is not None:
                self._missing_since.pop(topic, None)
                continue
            if topic in client.cluster.unauthorized_topics:
                verdicts[topic] = TopicAuthorizationFailedError(topic)
                continue
            if not updated:
                verdicts[topic] = "wait"  # no metadata answer: the broker may be down
                continue
            since = self._missing_since.setdefault(topic, time.monotonic())
            if time.monotonic() - since >= self.unknown_topic_grace_seconds:
                verdicts[topic] = UnknownTopic(f"topic {topic!r} does not exist on the broker")
            else:
                verdicts[topic] = "wait"
        return verdicts

    async def _send_all(
        self, producer: AIOKafkaProducer, rows: Sequence[Row], dead: dict[int, str]
    ) -> tuple[list[Row], list[Row], list[Row]]:
        """Send every row with its own future.

        Returns (delivered, refused by the broker, not sent); a row the producer refuses
        before sending (e.g. over its request size) goes straight to ``dead``.
        """
        sent: list[tuple[Row, asyncio.Future[Any]]] = []
        refused: list[Row] = []
        unsent: list[Row] = []
        for i, row in enumerate(rows):
            try:
                future = await producer.send(row.topic, value=row.value, key=row.key.encode())
            except PERMANENT_ERRORS as exc:
                dead[row.id] = repr(exc)
                continue
            except UnknownTopicOrPartitionError:
                unsent.append(row)  # metadata went away since the check: next round
                continue
            except KafkaError as exc:  # e.g. the send buffer stayed full
                log.warning("outbox relay: send stopped after %d rows: %r", i, exc)
                unsent.extend(rows[i:])
                break
            sent.append((row, future))
        results = await asyncio.gather(*(f for _, f in sent), return_exceptions=True)
        delivered: list[Row] = []
        renew = False
        for (row, _), outcome in zip(sent, results, strict=True):
            if not isinstance(outcome, BaseException):
                delivered.append(row)
            elif isinstance(outcome, PERMANENT_ERRORS):
                refused.append(row)  # maybe only for sharing a batch with the culprit
                renew = True
            else:
                unsent.append(row)
                renew = renew or isinstance(outcome, PRODUCER_STATE_ERRORS)
        if renew:
            await self._renew_producer()
        return delivered, refused, unsent

    async def _send_alone(
        self, refused: Sequence[Row], dead: dict[int, str]
    ) -> tuple[list[Row], list[Row]]:
        """Send rows the broker refused one at a time: only a row refused alone is dead.

        Returns (delivered, not sent); dead rows go to ``dead``.
        """
        delivered: list[Row] = []
        unsent: list[Row] = []
        for row in refused:
            producer = await self.start()
            try:
                future = await producer.send(row.topic, value=row.value, key=row.key.encode())
                await future
            except PERMANENT_ERRORS as exc:
                dead[row.id] = repr(exc)
                await self._renew_producer()
            except KafkaError:
                unsent.append(row)
                await self._renew_producer()
            else:
                delivered.append(row)
        return delivered, unsent

    async def _delete(self, conn: db.Connection, ids: list[int]) -> None:
        if ids:
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", ids)
            self._delivered_not_deleted.difference_update(ids)

    async def _dead_letter(
        self, conn: db.Connection, rows: Sequence[Row], dead: dict[int, str]
    ) -> None:
        """Move refused rows to ``dead_letters`` (one transaction), count and log each once."""
        if not dead:
            return
        ids = sorted(dead)
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO dead_letters (id, topic, key, event_id, value, created_at, error)"
                " SELECT o.id, o.topic, o.key, o.event_id, o.value, o.created_at, e.error"
                " FROM outbox o JOIN unnest($1::bigint[], $2::text[]) AS e(id, error)"
                " ON o.id = e.id ON CONFLICT (id) DO NOTHING",
                ids,
                [dead[i][:2000] for i in ids],
            )
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", ids)
        metrics.OUTBOX_DEAD_LETTERS.labels(self.service).inc(len(ids))
        by_id = {r.id: r for r in rows}
        for i in ids:
            log.error(
                "outbox row %d to %s refused permanently, moved to dead_letters: %s",
                i,
                by_id[i].topic,
                dead[i][:300],
            )


def make_producer(bootstrap: str, **security: Any) -> AIOKafkaProducer:
    """The relay's idempotent producer; ``security``: aiokafka's SASL options, if any."""
    return AIOKafkaProducer(
        **security,
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
        partitioner=partition_for,
        client_id="outcomes-relay",
    )
