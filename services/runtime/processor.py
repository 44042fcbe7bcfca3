"""The batch processor: one consumed batch -> one PostgreSQL transaction.

The processing protocol itself (inbox, provider check, rounds of holds and releases,
``finish``) is :func:`services.runtime.batch.apply_batch`, run here on a
:class:`~services.runtime.postgres.PostgresUnitOfWork`, so a redelivered batch has no
further effect and nothing is published for work that was rolled back. This module adds
what only a real deployment needs: serialising what must be across processes,
fencing, retries of transient failures, bisecting a failing batch to reject only the
records at fault, replays, and metrics. Offsets are acknowledged only afterwards.

Transactions of one service run side by side (several instances, one per set of
partitions): each locks the keys its records name (runtime/locking.py) rather than the
service, and, consuming from Kafka, checks that its instance still owns the partitions
of its records (runtime/ownership.py) and advances their positions. A service without a
:class:`~services.runtime.locking.Locking` keeps one transaction at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Generic, TypeVar

from schemas.common import RejectionReason
from schemas.topics import kind_name
from services.common import db, metrics, observe
from services.common.backoff import Backoff
from services.common.codec import bounded_record, content_digest, decode
from services.common.errors import describe, is_transient
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome, record_id
from services.runtime.batch import apply_batch, expire_held, failure_text, message_id
from services.runtime.locking import Locking, TransactionLocks, named_keys, service_lock_id
from services.runtime.ownership import Fenced, PartitionOwnership
from services.runtime.ports import Handler, R
from services.runtime.postgres import PostgresUnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")

Prepare = Callable[[db.Connection], Awaitable[None]]


@dataclass(frozen=True)
class BatchReport:
    records: int
    processed: int
    duplicates: int
    rejected: int
    held: int
    published: int
    fenced: int = 0
    """Records left unprocessed: their partitions belong to another instance now."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class BatchProcessor(Generic[R]):
    def __init__(
        self,
        handler: Handler[R],
        pool: db.Pool,
        repository: Callable[[db.Connection], R],
        *,
        namespace: str = "",
        hold_seconds: float = 7 * 24 * 3600,
        clock: Callable[[], datetime] = utc_now,
        retry_delay_seconds: float = 0.5,
        retry_max_seconds: float = 30.0,
        locking: Locking | None = None,
        ownership: PartitionOwnership | None = None,
    ) -> None:
        self.handler = handler
        self.pool = pool
        self.repository = repository
        self.namespace = namespace
        self.hold = timedelta(seconds=hold_seconds)
        self.clock = clock
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_max_seconds = retry_max_seconds
        self.outbox_written = asyncio.Event()
        self._lock = asyncio.Lock()
        self._service = handler.service
        self.locking = locking
        self.ownership = ownership
        self._lock_key = service_lock_id(self._service)

    async def process(self, records: Sequence[RawRecord]) -> BatchReport:
        """Process a batch, retrying transient failures until it is committed.

        A batch that fails for any other reason (services/common/errors.py) is split in
        halves until the records at fault are alone; each of those is rejected
        ``processing_failed`` and the rest are processed as usual, in order.
        """
        records = [bounded_record(r) for r in records]  # over-large values: a prefix only
        async with self._lock:
            return await self._process_owned(records)

    async def _process_owned(self, records: Sequence[RawRecord]) -> BatchReport:
        """The records of partitions this instance owns; those of partitions another
        instance took meanwhile are left (not processed, not to be acknowledged)."""
        fenced = 0
        while True:
            if self.ownership is not None:
                mine = [r for r in records if self.ownership.owns(r.topic, r.partition)]
                fenced += len(records) - len(mine)
                records = mine
            if not records:
                return BatchReport(0, 0, 0, 0, 0, 0, fenced)
            try:
                report = await self._process_bisecting(records)
            except Fenced as exc:
                assert self.ownership is not None
                metrics.FENCED.labels(self._service).inc()
                log.warning("transaction rolled back, %s", exc)
                self.ownership.forget(exc.partitions)
                continue
            return _sum_reports([report, BatchReport(0, 0, 0, 0, 0, 0, fenced)])

    async def replay(self, quarantine_id: int, record: RawRecord) -> BatchReport:
        """Process a quarantined record again, as if it arrived now.

        In one transaction: its inbox claim is deleted, the quarantine row is marked
        replayed, and the record is processed. If it fails again (not transiently), the
        transaction rolls back — nothing changes — and the error is raised. A new
        rejection gets a new event id (the replay is named in its derivation).
        """
        record = bounded_record(record)
        decoded = decode(record)
        claimed = message_id(decoded)
        digest = content_digest(decoded)

        async def prepare(conn: db.Connection) -> None:
            await conn.execute(  # only its own claim: same content (or claimed before digests)
                "DELETE FROM inbox WHERE message_id = $1 AND (digest = $2 OR digest IS NULL)",
                claimed,
                digest,
            )
            await conn.execute(
                "UPDATE quarantine SET replayed_at = $2 WHERE id = $1", quarantine_id, self.clock()
            )

        async with self._lock:
            return await self._retrying(
                lambda: self._process_once(
                    [record], prepare, f"replay:{quarantine_id}", consumed=False
                )
            )

    async def _process_bisecting(self, records: Sequence[RawRecord]) -> BatchReport:
        try:
            return await self._retrying(lambda: self._process_once(records))
        except Fenced:
            raise
        except Exception as exc:  # noqa: BLE001  (not transient: a record's data or a bug)
            if len(records) == 1:
                return await self._retrying(partial(self._reject_failed, records[0], exc))
            half = len(records) // 2
            log.warning(
                "batch of %d records failed (%s); splitting it", len(records), describe(exc)
            )
            first = await self._process_bisecting(records[:half])
            second = await self._process_bisecting(records[half:])
            return _sum_reports([first, second])

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` until it does not fail transiently (exponential backoff, capped)."""
        backoff = Backoff(self.retry_delay_seconds, self.retry_max_seconds)
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                metrics.RETRIES.labels(self._service).inc()
                delay = backoff.next()
                log.warning("transient failure (%s); retrying in %.1fs", describe(exc), delay)
                await asyncio.sleep(delay)

    async def _process_once(
        self,
        records: Sequence[RawRecord],
        prepare: Prepare | None = None,
        salt: str = "",
        *,
        consumed: bool = True,
    ) -> BatchReport:
        """One transaction; ``consumed``: the records come from this instance's
        partitions (checked and advanced), not from the quarantine."""
        started = time.perf_counter()
        outcome = self._new_outcome(salt)
        async with self.pool.acquire() as conn, conn.transaction():
            if consumed and self.ownership is not None:
                await self.ownership.check(conn, records)
            locks = await self._serialize(conn, records)
            if prepare is not None:
                await prepare(conn)
            uow = self._unit_of_work(conn, locks)
            applied = await apply_batch(uow, self.handler, records, outcome)
            published = await uow.write(outcome)
            if consumed and self.ownership is not None:
                await self.ownership.advance(conn, records)
        for record in applied.duplicates:
            metrics.EVENTS_DUPLICATE.labels(self._service, record.spec.name).inc()
        self._count(records, outcome, applied.held, time.perf_counter() - started)
        observe.batch_committed(self._service, outcome.all_outgoing())
        if published:
            self.outbox_written.set()
        return BatchReport(
            len(records),
            applied.processed,
            len(applied.duplicates),
            len(outcome.rejections),
            applied.held,
            published,
        )

    def _unit_of_work(
        self, conn: db.Connection, locks: TransactionLocks | None = None
    ) -> PostgresUnitOfWork[R]:
        return PostgresUnitOfWork(conn, self.repository, self.namespace, locks)

    async def _serialize(
        self, conn: db.Connection, records: Sequence[RawRecord]
    ) -> TransactionLocks | None:
        """Lock what a transaction over ``records`` may read (runtime/locking.py).

        Without a :class:`Locking`: one transaction of this service at a time, across
        processes (instances, a replay by tools.replay).
        """
        if self.locking is None:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
            return None
        locks = TransactionLocks(conn, self.locking)
        await locks.take_for(records)
        return locks

    def _new_outcome(self, salt: str = "") -> BatchOutcome:
        return BatchOutcome(
            self._service,
            self.clock(),
            self.handler.mask_original,
            rejection_salt=salt,
            keep_personal_data=self.handler.keeps_personal_data,
        )

    async def expire_holds(self) -> int:
        """Reject held items older than the hold time (reason chosen by the handler)."""
        async with self._lock:
            outcome = self._new_outcome()
            async with self.pool.acquire() as conn, conn.transaction():
                if self.locking is None:
                    await self._serialize(conn, [])
                # With per-key locks none is needed: expiry only rejects, and the row
                # locks of its DELETE take each held input out once (docs/architecture.md).
                uow = self._unit_of_work(conn)
                await expire_held(uow, self.handler, outcome, outcome.now - self.hold)
                await uow.write(outcome)
            self._count_rejections(outcome)
            observe.batch_committed(self._service, outcome.all_outgoing())
            if outcome.rejections:
                self.outbox_written.set()
            return len(outcome.rejections)

    async def _reject_failed(self, record: RawRecord, exc: Exception) -> BatchReport:
        """A record that makes the handler fail is kept as a rejection, never dropped."""
        log.error("record %s failed processing: %s", record_id(record), describe(exc), exc_info=exc)
        outcome = self._new_outcome()
        decoded = decode(record)
        claimed = message_id(decoded)
        async with self.pool.acquire() as conn, conn.transaction():
            if self.ownership is not None:
                await self.ownership.check(conn, [record])
            if self.locking is None:
                await self._serialize(conn, [])
            elif isinstance(decoded, Received):  # its ids, not its participant: nothing is read
                locks = TransactionLocks(conn, self.locking)
                await locks.take(named_keys(decoded.event, self.locking.entities))
            claim = await db.claim(conn, [claimed], [content_digest(decoded)])
            if claimed not in claim.fresh:
                return BatchReport(1, 0, 1, 0, 0, 0)
            source = decoded.event_id if isinstance(decoded, Received) else claimed
            outcome.reject_record(
                record, RejectionReason.PROCESSING_FAILED, failure_text(exc), source
            )
            published = await self._unit_of_work(conn).write(outcome)
            if self.ownership is not None:
                await self.ownership.advance(conn, [record])
        self._count([record], outcome, 0, 0.0)
        observe.batch_committed(self._service, outcome.all_outgoing())
        self.outbox_written.set()
        return BatchReport(1, 0, 0, 1, 0, published)

    def _count(
        self, records: Sequence[RawRecord], outcome: BatchOutcome, held: int, seconds: float
    ) -> None:
        for topic, n in Counter(r.spec.name for r in records).items():
            metrics.EVENTS_CONSUMED.labels(self._service, topic).inc(n)
        self._count_rejections(outcome)
        metrics.EVENTS_HELD.labels(self._service).inc(held)
        metrics.BATCH_SECONDS.labels(self._service).observe(seconds)
        metrics.BATCH_SIZE.labels(self._service).observe(len(records))

    def _count_rejections(self, outcome: BatchOutcome) -> None:
        for rejected in outcome.rejections:
            topic = kind_name(rejected.source_topic, self.namespace)
            metrics.EVENTS_REJECTED.labels(self._service, topic, rejected.reason).inc()


def _sum_reports(reports: Sequence[BatchReport]) -> BatchReport:
    return BatchReport(
        records=sum(r.records for r in reports),
        processed=sum(r.processed for r in reports),
        duplicates=sum(r.duplicates for r in reports),
        rejected=sum(r.rejected for r in reports),
        held=sum(r.held for r in reports),
        published=sum(r.published for r in reports),
        fenced=sum(r.fenced for r in reports),
    )
