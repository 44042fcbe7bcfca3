"""The batch processor: one consumed batch -> one PostgreSQL transaction.

Inbox claim, the service's handler, holds and releases, and the outbox are all written
in the same transaction, so a redelivered batch has no further effect and nothing is
published for work that was rolled back. Offsets are acknowledged only afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import asyncpg

from schemas.common import RejectionReason
from schemas.topics import Owner, TopicSpec, kind_name
from services.common import db, metrics, observe
from services.common.codec import Undecodable, decode
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome, Masker, identity, record_id
from services.common.provenance import provider_mismatch

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    ConnectionError,
    OSError,
    TimeoutError,
)


class Handler(Protocol):
    """A service's use cases: apply items in order, record decisions in ``outcome``.

    A handler may also define ``mask_original(value: bytes) -> bytes``: applied to the
    bytes of a rejected input before its prefix goes on the rejections topic (intake
    masks the NINO and date of birth); the quarantine table keeps the original.
    """

    service: Owner
    inputs: tuple[TopicSpec, ...]

    async def handle(
        self, conn: db.Connection, items: Sequence[Received], outcome: BatchOutcome
    ) -> None: ...

    def expired(self, item: Received) -> tuple[RejectionReason, str]:
        """The rejection for an item whose hold time ran out."""
        ...

    async def finish(self, conn: db.Connection, outcome: BatchOutcome) -> None:
        """Called once per transaction after every round of items (domain.md §6).

        The batch's items and everything they released are applied by then; decisions
        that depend on all of them together (milestones) are taken here.
        """
        ...


@dataclass(frozen=True)
class BatchReport:
    records: int
    processed: int
    duplicates: int
    rejected: int
    held: int
    published: int


def utc_now() -> datetime:
    return datetime.now(UTC)


class BatchProcessor:
    def __init__(
        self,
        handler: Handler,
        pool: db.Pool,
        *,
        namespace: str = "",
        hold_seconds: float = 7 * 24 * 3600,
        clock: Callable[[], datetime] = utc_now,
        retry_delay_seconds: float = 0.5,
    ) -> None:
        self.handler = handler
        self.pool = pool
        self.namespace = namespace
        self.hold = timedelta(seconds=hold_seconds)
        self.clock = clock
        self.retry_delay_seconds = retry_delay_seconds
        self.outbox_written = asyncio.Event()
        self._lock = asyncio.Lock()
        self._service = handler.service
        self._mask: Masker = getattr(handler, "mask_original", identity)
        self._keep_personal_data: bool = getattr(handler, "keeps_personal_data", False)

    async def process(self, records: Sequence[RawRecord]) -> BatchReport:
        """Process a batch, retrying transient failures until it is committed."""
        async with self._lock:
            return await self._process_with_fallback(records)

    async def _process_with_fallback(self, records: Sequence[RawRecord]) -> BatchReport:
        delay = self.retry_delay_seconds
        while True:
            try:
                return await self._process_once(records)
            except TRANSIENT_ERRORS as exc:
                metrics.RETRIES.labels(self._service).inc()
                log.warning("transient failure, retrying batch in %.1fs: %r", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception as exc:
                if len(records) == 1:
                    return await self._reject_failed(records[0], exc)
                log.exception("batch failed; processing its %d records one by one", len(records))
                reports = [await self._process_with_fallback([r]) for r in records]
                return _sum_reports(reports)

    async def _process_once(self, records: Sequence[RawRecord]) -> BatchReport:
        started = time.perf_counter()
        outcome = self._new_outcome()
        decoded = [decode(r) for r in records]
        ids = [d.event_id if isinstance(d, Received) else record_id(d.record) for d in decoded]
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await db.claim_new(conn, ids)
            items: list[Received] = []
            duplicates = 0
            for item, message_id in zip(decoded, ids, strict=True):
                if message_id not in fresh:
                    duplicates += 1
                    metrics.EVENTS_DUPLICATE.labels(self._service, item.record.spec.name).inc()
                    continue
                fresh.discard(message_id)
                if isinstance(item, Undecodable):
                    outcome.reject_record(item.record, RejectionReason.INVALID_SCHEMA, item.message)
                elif mismatch := provider_mismatch(item):
                    outcome.reject(item, RejectionReason.PROVIDER_MISMATCH, mismatch)
                else:
                    items.append(item)
            held = await self._handle_rounds(conn, items, outcome)
            published = await self._write(conn, outcome)
        self._count(records, outcome, held, time.perf_counter() - started)
        observe.batch_committed(self._service, outcome.all_outgoing())
        if published:
            self.outbox_written.set()
        return BatchReport(
            len(records), len(items), duplicates, len(outcome.rejections), held, published
        )

    async def _handle_rounds(
        self, conn: db.Connection, items: list[Received], outcome: BatchOutcome
    ) -> int:
        """Handle items, then whatever their effects released from the hold, until done."""
        if not items:
            return 0
        held = 0
        await self.handler.handle(conn, items, outcome)
        while True:
            holds = outcome.take_holds()
            held += len(holds)
            await db.hold(conn, holds, outcome.now)
            released = await db.release(conn, outcome.take_released())
            items = [d for d in map(decode, released) if isinstance(d, Received)]
            if not items:
                await self.handler.finish(conn, outcome)
                return held
            await self._handle_released(conn, items, outcome)

    async def _handle_released(
        self, conn: db.Connection, items: list[Received], outcome: BatchOutcome
    ) -> None:
        """Handle items let out of the hold, each in a savepoint if they fail together.

        A released item that makes the handler fail is rejected itself
        (``processing_failed``); the record that released it is not to blame.
        """
        mark = outcome.mark()
        try:
            async with conn.transaction():
                await self.handler.handle(conn, items, outcome)
            return
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            log.exception("%d released records failed; handling them one by one", len(items))
            outcome.rewind(mark)
        for item in items:
            mark = outcome.mark()
            try:
                async with conn.transaction():
                    await self.handler.handle(conn, [item], outcome)
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                outcome.rewind(mark)
                log.exception("released record %s failed processing", item.event_id)
                outcome.reject(item, RejectionReason.PROCESSING_FAILED, _failure_text(exc))

    def _new_outcome(self) -> BatchOutcome:
        return BatchOutcome(
            self._service, self.clock(), self._mask, keep_personal_data=self._keep_personal_data
        )

    async def _write(self, conn: db.Connection, outcome: BatchOutcome) -> int:
        """Append the outcome's events to the outbox and its rejected originals to quarantine."""
        await db.quarantine(conn, outcome.quarantined, outcome.now)
        return await db.append_outbox(conn, outcome.all_outgoing(), self.namespace)

    async def expire_holds(self) -> int:
        """Reject held items older than the hold time (reason chosen by the handler)."""
        async with self._lock:
            outcome = self._new_outcome()
            async with self.pool.acquire() as conn, conn.transaction():
                records = await db.expire(conn, outcome.now - self.hold)
                for item in map(decode, records):
                    if isinstance(item, Received):
                        reason, message = self.handler.expired(item)
                        outcome.reject(item, reason, message)
                await self._write(conn, outcome)
            self._count_rejections(outcome)
            observe.batch_committed(self._service, outcome.all_outgoing())
            if outcome.rejections:
                self.outbox_written.set()
            return len(outcome.rejections)

    async def _reject_failed(self, record: RawRecord, exc: Exception) -> BatchReport:
        """A record that makes the handler fail is kept as a rejection, never dropped."""
        log.error("record %s failed processing: %r", record_id(record), exc)
        outcome = self._new_outcome()
        decoded = decode(record)
        message_id = decoded.event_id if isinstance(decoded, Received) else record_id(record)
        text = _failure_text(exc)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await db.claim_new(conn, [message_id]):
                return BatchReport(1, 0, 1, 0, 0, 0)
            outcome.reject_record(record, RejectionReason.PROCESSING_FAILED, text, message_id)
            published = await self._write(conn, outcome)
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


def _failure_text(exc: Exception) -> str:
    return f"processing failed: {type(exc).__name__}: {exc}"[:2000]


def _sum_reports(reports: Sequence[BatchReport]) -> BatchReport:
    return BatchReport(
        records=sum(r.records for r in reports),
        processed=sum(r.processed for r in reports),
        duplicates=sum(r.duplicates for r in reports),
        rejected=sum(r.rejected for r in reports),
        held=sum(r.held for r in reports),
        published=sum(r.published for r in reports),
    )
