"""A batch of large records lets the event loop run between them (services/runtime/batch.py).

Decoding and masking a record near MAX_MESSAGE_BYTES takes tens of milliseconds; a batch
of them must not hold the loop (the service's timers, its outbox relay) for all of them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from schemas.base import Event
from schemas.bounds import MAX_MESSAGE_BYTES
from schemas.common import RejectionReason
from schemas.topics import PROVIDER_PLACEMENTS, Owner, TopicSpec, provider_topic
from services.common import masking
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome
from services.runtime.batch import TURN_BYTES, Turns, apply_batch
from services.runtime.memory import MemoryNode, MemoryUnitOfWork

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TOPIC = provider_topic(PROVIDER_PLACEMENTS, "prov-a")


class NoRepository:
    async def load(self, provider_ids: Iterable[str]) -> None:
        return None

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return {}

    async def flush(self) -> None:
        return None


class RejectsOnlyHandler:
    """Never reached here: every record is undecodable (the core rejects it)."""

    service: Owner = "placement"
    inputs: tuple[TopicSpec, ...] = (PROVIDER_PLACEMENTS,)
    mask_original = staticmethod(masking.mask_original)
    keeps_personal_data = False

    async def handle(
        self, repo: NoRepository, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        raise AssertionError("no record of this batch decodes")

    async def finish(self, repo: NoRepository, outcome: BatchOutcome) -> None:
        return None

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return RejectionReason.PROCESSING_FAILED, "nothing is held"


def padded(offset: int) -> RawRecord:
    """A job start padded to just under the size limit (the ``many`` compression bomb)."""
    head = json.dumps({"event_id": f"00000000-0000-4000-8000-{offset:012d}", "pad": ""})
    value = head[:-2].encode() + b"A" * (MAX_MESSAGE_BYTES - 1024) + b'"}'
    return RawRecord(PROVIDER_PLACEMENTS, TOPIC, 0, offset, None, value)


async def test_the_loop_runs_between_large_records_of_one_batch() -> None:
    # given 12 records just under the size limit, and another task on the loop
    records = [padded(n) for n in range(12)]
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    uow = MemoryUnitOfWork(MemoryNode(), NoRepository, lambda _o: 0)
    outcome = BatchOutcome("placement", NOW, masking.mask_original)
    task = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    before = turns

    # when the batch is applied (each record decoded, then rejected with a masked copy)
    await apply_batch(uow, RejectsOnlyHandler(), records, outcome)
    during = turns - before
    task.cancel()

    # then every record is rejected invalid_schema, and the other task ran in between:
    # at least once per record decoded and once per record masked
    assert [r.reason for r in outcome.rejections] == [RejectionReason.INVALID_SCHEMA] * 12
    assert during >= 2 * len(records)


async def test_turns_come_after_every_turn_bytes_of_work() -> None:
    turns = Turns(every=TURN_BYTES)
    ran = 0

    async def count() -> None:
        nonlocal ran
        ran += 1

    for size in [TURN_BYTES // 4] * 3:
        await turns.after(size)
    pending = asyncio.create_task(count())
    await turns.after(TURN_BYTES // 4 - 1)  # still under: no turn yet
    assert ran == 0
    await turns.after(1)  # the fourth quarter completes it: the other task runs
    assert ran == 1
    await pending
