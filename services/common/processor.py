"""The batch processor: one consumed batch -> one PostgreSQL transaction.

Inbox claim, the service's handler, holds and releases, and the outbox are all written
in the same transaction, so a redelivered batch has no further effect and nothing is
published for work that was rolled back. Offsets are acknowledged only afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from schemas.common import RejectionReason
from schemas.topics import Owner, TopicSpec, kind_name
from services.common import db, metrics, observe
from services.common.backoff import Backoff
from services.common.codec import Undecodable, bounded_record, content_digest, decode
from services.common.errors import describe, is_transient
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome, Masker, identity, record_id
from services.common.provenance import provider_mismatch

log = logging.getLogger(__name__)

T = TypeVar("T")

Prepare = Callable[[db.Connection], Awaitable[None]]


def message_id(item: Received | Undecodable) -> str:
    """The inbox id of an input: its event_id scoped by the provider of its topic
    (:attr:`Received.message_id`), or its position when it has none."""
    return item.message_id if isinstance(item, Received) else record_id(item.record)


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
        retry_max_seconds: float = 30.0,
    ) -> None:
        self.handler = handler
        self.pool = pool
        self.namespace = namespace
        self.hold = timedelta(seconds=hold_seconds)
        self.clock = clock
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_max_seconds = retry_max_seconds
        self.outbox_written = asyncio.Event()
        self._lock = asyncio.Lock()
        self._service = handler.service
        self._mask: Masker = getattr(handler, "mask_original", identity)
        self._keep_personal_data: bool = getattr(handler, "keeps_personal_data", False)
        key = hashlib.sha256(f"outcomes-processor:{self._service}".encode()).digest()[:8]
        self._lock_key = int.from_bytes(key, "big", signed=True)

    async def process(self, records: Sequence[RawRecord]) -> BatchReport:
        """Process a batch, retrying transient failures until it is committed.

        A batch that fails for any other reason (services/common/errors.py) is split in
        halves until the records at fault are alone; each of those is rejected
        ``processing_failed`` and the rest are processed as usual, in order.
        """
        records = [bounded_record(r) for r in records]  # over-large values: a prefix only
        async with self._lock:
            return await self._process_bisecting(records)

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
                lambda: self._process_once([record], prepare, f"replay:{quarantine_id}")
            )

    async def _process_bisecting(self, records: Sequence[RawRecord]) -> BatchReport:
        try:
            return await self._retrying(lambda: self._process_once(records))
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
        self, records: Sequence[RawRecord], prepare: Prepare | None = None, salt: str = ""
    ) -> BatchReport:
        started = time.perf_counter()
        outcome = self._new_outcome(salt)
        decoded = [decode(r) for r in records]
        ids = [message_id(d) for d in decoded]
        digests = [content_digest(d) for d in decoded]
        async with self.pool.acquire() as conn, conn.transaction():
            await self._serialize(conn)
            if prepare is not None:
                await prepare(conn)
            claim = await db.claim(conn, ids, digests)
            items: list[Received] = []
            conflicts: list[tuple[Received, bytes, bytes]] = []
            duplicates = 0
            first_seen: dict[str, bytes] = {}
            for item, mid, digest in zip(decoded, ids, digests, strict=True):
                if mid in claim.fresh and mid not in first_seen:
                    first_seen[mid] = digest
                    if isinstance(item, Undecodable):
                        outcome.reject_record(
                            item.record, RejectionReason.INVALID_SCHEMA, item.message
                        )
                    elif mismatch := provider_mismatch(item):
                        outcome.reject(item, RejectionReason.PROVIDER_MISMATCH, mismatch)
                    else:
                        items.append(item)
                    continue
                earlier = first_seen.get(mid, claim.stored.get(mid))
                if earlier is not None and earlier != digest and isinstance(item, Received):
                    conflicts.append((item, earlier, digest))
                    continue
                duplicates += 1
                metrics.EVENTS_DUPLICATE.labels(self._service, item.record.spec.name).inc()
            duplicates += await self._reject_conflicts(conn, conflicts, outcome)
            held = await self._handle_rounds(conn, items, outcome)
            published = await self._write(conn, outcome)
        self._count(records, outcome, held, time.perf_counter() - started)
        observe.batch_committed(self._service, outcome.all_outgoing())
        if published:
            self.outbox_written.set()
        return BatchReport(
            len(records), len(items), duplicates, len(outcome.rejections), held, published
        )

    async def _reject_conflicts(
        self,
        conn: db.Connection,
        conflicts: Sequence[tuple[Received, bytes, bytes]],
        outcome: BatchOutcome,
    ) -> int:
        """Reject inputs re-using a known event_id with other content (``duplicate_event_id``).

        Their positions are claimed in the inbox too, so a redelivered batch does not
        reject them twice. Returns how many were such redeliveries.
        """
        if not conflicts:
            return 0
        positions = [record_id(item.record) for item, _, _ in conflicts]
        claim = await db.claim(conn, positions, [b"" for _ in positions])
        redelivered = 0
        for (item, earlier, digest), position in zip(conflicts, positions, strict=True):
            if position not in claim.fresh:
                redelivered += 1
                continue
            outcome.reject(
                item,
                RejectionReason.DUPLICATE_EVENT_ID,
                f"event_id {item.event_id} was already received with other content"
                f" (sha256 {earlier.hex()[:16]}..., this one {digest.hex()[:16]}...)",
            )
        return redelivered

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
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning(
                "%d released records failed (%s); handling them one by one",
                len(items),
                describe(exc),
            )
            outcome.rewind(mark)
        for item in items:
            mark = outcome.mark()
            try:
                async with conn.transaction():
                    await self.handler.handle(conn, [item], outcome)
            except Exception as exc:
                if is_transient(exc):
                    raise
                outcome.rewind(mark)
                log.exception("released record %s failed processing", item.event_id)
                outcome.reject(item, RejectionReason.PROCESSING_FAILED, _failure_text(exc))

    async def _serialize(self, conn: db.Connection) -> None:
        """One processing transaction of this service at a time, across processes.

        Batches of one service instance are already one at a time; the lock keeps a
        replay (tools.replay, another process) from interleaving with a batch.
        """
        await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)

    def _new_outcome(self, salt: str = "") -> BatchOutcome:
        return BatchOutcome(
            self._service,
            self.clock(),
            self._mask,
            rejection_salt=salt,
            keep_personal_data=self._keep_personal_data,
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
                await self._serialize(conn)
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
        log.error("record %s failed processing: %s", record_id(record), describe(exc), exc_info=exc)
        outcome = self._new_outcome()
        decoded = decode(record)
        claimed = message_id(decoded)
        async with self.pool.acquire() as conn, conn.transaction():
            await self._serialize(conn)
            claim = await db.claim(conn, [claimed], [content_digest(decoded)])
            if claimed not in claim.fresh:
                return BatchReport(1, 0, 1, 0, 0, 0)
            source = decoded.event_id if isinstance(decoded, Received) else claimed
            outcome.reject_record(
                record, RejectionReason.PROCESSING_FAILED, _failure_text(exc), source
            )
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
    return f"processing failed: {describe(exc)}"[:2000]


def _sum_reports(reports: Sequence[BatchReport]) -> BatchReport:
    return BatchReport(
        records=sum(r.records for r in reports),
        processed=sum(r.processed for r in reports),
        duplicates=sum(r.duplicates for r in reports),
        rejected=sum(r.rejected for r in reports),
        held=sum(r.held for r in reports),
        published=sum(r.published for r in reports),
    )
