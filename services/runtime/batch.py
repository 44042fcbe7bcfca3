"""One transaction of one service, whatever stores it: the processing protocol.

:func:`apply_batch` owns, in order: the inbox (a re-delivered input has no effect; an
event id re-used with other content is ``duplicate_event_id``), the provider check
(``provider_mismatch``), the service's rules, then rounds of holds and releases until
nothing more is released, then ``finish`` once. :func:`expire_held` rejects what waited
too long. The Kafka+PostgreSQL processor and the in-memory simulator both run these,
over their own :class:`~services.runtime.ports.UnitOfWork`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from schemas.base import Event
from schemas.common import RejectionReason
from services.common.codec import Undecodable, content_digest, decode
from services.common.errors import describe
from services.common.holds import WaitFor
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome, record_id
from services.common.provenance import provider_mismatch
from services.runtime.ports import Handler, R, UnitOfWork

log = logging.getLogger(__name__)

TURN_BYTES = 64 * 1024
"""Input bytes decoded or masked between two turns of the event loop. Decoding and
masking a record near MAX_MESSAGE_BYTES costs tens of milliseconds (more for text dense
in digits); a batch of many such records would otherwise hold the loop - its timers, the
outbox relay, the readiness endpoint's data - for as long as all of them take."""


class Turns:
    """Lets the event loop run once ``TURN_BYTES`` of input have been worked on."""

    def __init__(self, every: int = TURN_BYTES) -> None:
        self.every = every
        self.since = 0

    async def after(self, size: int) -> None:
        self.since += size
        if self.since >= self.every:
            self.since = 0
            await asyncio.sleep(0)


def message_id(item: Received[Event] | Undecodable) -> str:
    """The inbox id of an input: its event_id scoped by the provider of its topic
    (:attr:`Received.message_id`), or its position when it has none."""
    return item.message_id if isinstance(item, Received) else record_id(item.record)


@dataclass
class Applied:
    """What one transaction did with its records (rejections are in the outcome)."""

    processed: int = 0
    held: int = 0
    duplicates: list[RawRecord] = field(default_factory=list)
    """Inputs already processed (re-deliveries): no effect."""


async def apply_batch(
    uow: UnitOfWork[R], handler: Handler[R], records: Sequence[RawRecord], outcome: BatchOutcome
) -> Applied:
    """Process ``records`` in one transaction of ``uow``; decisions go to ``outcome``."""
    turns = Turns()
    decoded: list[Received[Event] | Undecodable] = []
    for record in records:
        decoded.append(decode(record))
        await turns.after(len(record.value))
    ids = [message_id(d) for d in decoded]
    digests = [content_digest(d) for d in decoded]
    claim = await uow.claim(ids, digests)
    applied = Applied()
    items: list[Received[Event]] = []
    conflicts: list[tuple[Received[Event], bytes, bytes]] = []
    first_seen: dict[str, bytes] = {}
    for item, mid, digest in zip(decoded, ids, digests, strict=True):
        if mid in claim.fresh and mid not in first_seen:
            first_seen[mid] = digest
            if isinstance(item, Undecodable):
                outcome.reject_record(item.record, RejectionReason.INVALID_SCHEMA, item.message)
                await turns.after(len(item.record.value))  # masked: as costly as decoding
            elif mismatch := provider_mismatch(item):
                outcome.reject(item, RejectionReason.PROVIDER_MISMATCH, mismatch)
            else:
                items.append(item)
            continue
        earlier = first_seen.get(mid, claim.stored.get(mid))
        if earlier is not None and earlier != digest and isinstance(item, Received):
            conflicts.append((item, earlier, digest))
            continue
        applied.duplicates.append(item.record)
    applied.duplicates += await _reject_conflicts(uow, conflicts, outcome)
    applied.processed = len(items)
    applied.held = await _rounds(uow, handler, items, outcome)
    return applied


async def _reject_conflicts(
    uow: UnitOfWork[R],
    conflicts: Sequence[tuple[Received[Event], bytes, bytes]],
    outcome: BatchOutcome,
) -> list[RawRecord]:
    """Reject inputs re-using a known event_id with other content (``duplicate_event_id``).

    Their positions are claimed in the inbox too, so a redelivered batch does not
    reject them twice. Returns the records that were such redeliveries.
    """
    if not conflicts:
        return []
    positions = [record_id(item.record) for item, _, _ in conflicts]
    claim = await uow.claim(positions, [b"" for _ in positions])
    redelivered: list[RawRecord] = []
    for (item, earlier, digest), position in zip(conflicts, positions, strict=True):
        if position not in claim.fresh:
            redelivered.append(item.record)
            continue
        outcome.reject(
            item,
            RejectionReason.DUPLICATE_EVENT_ID,
            f"event_id {item.event_id} was already received with other content"
            f" (sha256 {earlier.hex()[:16]}..., this one {digest.hex()[:16]}...)",
        )
    return redelivered


async def _rounds(
    uow: UnitOfWork[R], handler: Handler[R], items: list[Received[Event]], outcome: BatchOutcome
) -> int:
    """Handle items, then whatever their effects released from the hold, until done;
    then ``finish`` once. Returns how many inputs were held."""
    if not items:
        return 0
    held = 0
    await handler.handle(uow.repository(), items, outcome)
    while True:
        holds = outcome.take_holds()
        held += len(holds)
        await uow.hold(holds, outcome.now)
        released = await uow.release([WaitFor(k) for k in outcome.take_released()])
        items = [d for d in map(decode, released) if isinstance(d, Received)]
        if not items:
            await handler.finish(uow.repository(), outcome)
            return held
        await _handle_released(uow, handler, items, outcome)


async def _handle_released(
    uow: UnitOfWork[R], handler: Handler[R], items: list[Received[Event]], outcome: BatchOutcome
) -> None:
    """Handle items let out of the hold, each in a savepoint if they fail together.

    A released item that makes the handler fail is rejected itself
    (``processing_failed``); the record that released it is not to blame.
    """
    mark = outcome.mark()
    try:
        async with uow.savepoint():
            await handler.handle(uow.repository(), items, outcome)
        return
    except Exception as exc:
        if not uow.recoverable(exc):
            raise
        log.warning(
            "%d released records failed (%s); handling them one by one", len(items), describe(exc)
        )
        outcome.rewind(mark)
    for item in items:
        mark = outcome.mark()
        try:
            async with uow.savepoint():
                await handler.handle(uow.repository(), [item], outcome)
        except Exception as exc:
            if not uow.recoverable(exc):
                raise
            outcome.rewind(mark)
            log.exception("released record %s failed processing", item.event_id)
            outcome.reject(item, RejectionReason.PROCESSING_FAILED, failure_text(exc))


async def expire_held(
    uow: UnitOfWork[R], handler: Handler[R], outcome: BatchOutcome, held_before: datetime
) -> None:
    """Reject the inputs held since before ``held_before`` (reason chosen by the handler)."""
    for item in map(decode, await uow.expire(held_before)):
        if isinstance(item, Received):
            reason, message = handler.expired(item)
            outcome.reject(item, reason, message)


def failure_text(exc: Exception) -> str:
    return f"processing failed: {describe(exc)}"[:2000]
