"""The unit of work in memory: the simulator's inbox, hold and outbox of one service.

Indexed as the tables they stand for (the inbox by message id, the hold by what rows
wait for and by subject), so a transaction costs the same however long the history.
Nothing here can roll back: a handler that fails in memory is a bug, and is raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic

from services.common.holds import WaitFor
from services.common.inbox import Claim
from services.common.messages import RawRecord
from services.common.outcome import BatchOutcome, Held
from services.runtime.ports import R


@dataclass(frozen=True)
class _HeldRow:
    seq: int
    message_id: str
    waiting_for: str
    record: RawRecord
    subject: str | None


class MemoryHold:
    """Held inputs in arrival order, indexed by what they wait for and by subject."""

    def __init__(self) -> None:
        self._rows: dict[str, _HeldRow] = {}  # message id -> row, oldest first
        self._by_waiting: dict[str, dict[str, None]] = {}
        self._by_subject: dict[str, dict[str, None]] = {}
        self._seq = 0

    def add(self, held: Sequence[Held]) -> None:
        for message_id, waiting_for, record, subject in held:
            if message_id in self._rows:  # as the table's ON CONFLICT DO NOTHING
                continue
            self._seq += 1
            self._rows[message_id] = _HeldRow(self._seq, message_id, waiting_for, record, subject)
            self._by_waiting.setdefault(waiting_for, {})[message_id] = None
            if subject is not None:
                self._by_subject.setdefault(subject, {})[message_id] = None

    def release(self, keys: Iterable[str]) -> list[RawRecord]:
        """Take out every row waiting for one of ``keys``, oldest first."""
        ids = {m for key in set(keys) for m in self._by_waiting.pop(key, {})}
        rows = sorted((self._take(m) for m in ids), key=lambda row: row.seq)
        return [row.record for row in rows]

    def waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        """For each of ``subjects`` with held rows: what they wait for, oldest first."""
        waiting: dict[str, list[str]] = {}
        for subject in set(subjects):
            rows = self._by_subject.get(subject)
            if rows:
                waiting[subject] = [self._rows[m].waiting_for for m in rows]
        return waiting

    def take_all(self) -> list[tuple[str, RawRecord]]:
        """Empty the hold: (message id, record) of every row, oldest first."""
        rows = [(row.message_id, row.record) for row in self._rows.values()]
        self._rows.clear()
        self._by_waiting.clear()
        self._by_subject.clear()
        return rows

    def message_ids(self) -> list[str]:
        return list(self._rows)

    def _take(self, message_id: str) -> _HeldRow:
        row = self._rows.pop(message_id)
        if row.subject is not None:
            rows = self._by_subject[row.subject]
            del rows[message_id]
            if not rows:
                del self._by_subject[row.subject]
        return row


@dataclass
class MemoryNode:
    """One service's inbox (message id -> content digest) and hold."""

    inbox: dict[str, bytes] = field(default_factory=dict)
    hold: MemoryHold = field(default_factory=MemoryHold)


class MemoryUnitOfWork(Generic[R]):
    """A transaction over a :class:`MemoryNode` and the service's memory repository."""

    def __init__(
        self,
        node: MemoryNode,
        open_repository: Callable[[], R],
        publish: Callable[[BatchOutcome], int],
    ) -> None:
        self.node = node
        self.open_repository = open_repository
        self.publish = publish

    def repository(self) -> R:
        return self.open_repository()

    async def claim(self, message_ids: Sequence[str], digests: Sequence[bytes]) -> Claim:
        fresh: set[str] = set()
        stored: dict[str, bytes | None] = {}
        for message_id, digest in zip(message_ids, digests, strict=True):
            if message_id in fresh:
                continue
            earlier = self.node.inbox.get(message_id)
            if earlier is None:
                self.node.inbox[message_id] = digest
                fresh.add(message_id)
            else:
                stored[message_id] = earlier
        return Claim(fresh, stored)

    async def hold(self, held: Sequence[Held], now: datetime) -> None:
        self.node.hold.add(held)

    async def release(self, keys: Sequence[WaitFor]) -> list[RawRecord]:
        return self.node.hold.release(keys)

    async def expire(self, held_before: datetime) -> list[RawRecord]:
        """Everything held: the simulator ends a run as if the hold time passed."""
        return [record for _, record in self.node.hold.take_all()]

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        yield

    def recoverable(self, exc: Exception) -> bool:
        return False  # memory cannot roll back: a failing handler is raised

    async def write(self, outcome: BatchOutcome) -> int:
        return self.publish(outcome)
