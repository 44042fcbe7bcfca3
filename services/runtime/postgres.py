"""The unit of work on PostgreSQL: one transaction on one connection of the service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import Generic

from services.common import db
from services.common.codec import remember_held
from services.common.errors import is_transient
from services.common.holds import WaitFor
from services.common.inbox import Claim
from services.common.messages import RawRecord
from services.common.outcome import BatchOutcome, Held
from services.runtime.locking import TransactionLocks
from services.runtime.ports import R


class PostgresUnitOfWork(Generic[R]):
    """Inbox, hold, outbox and quarantine tables of the service's schema, and its
    repository (``open_repository(conn)``), all in the transaction ``conn`` is in.

    With ``locks`` (per-key serialisation, runtime/locking.py), a release first takes the
    keys of what it releases."""

    def __init__(
        self,
        conn: db.Connection,
        open_repository: Callable[[db.Connection], R],
        namespace: str,
        locks: TransactionLocks | None = None,
    ) -> None:
        self.conn = conn
        self.open_repository = open_repository
        self.namespace = namespace
        self.locks = locks

    def repository(self) -> R:
        return self.open_repository(self.conn)

    async def claim(self, message_ids: Sequence[str], digests: Sequence[bytes]) -> Claim:
        return await db.claim(self.conn, message_ids, digests)

    async def hold(self, held: Sequence[Held], now: datetime) -> None:
        await db.hold(self.conn, held, now)
        remember_held(record for _, _, record, _ in held)

    async def release(self, keys: Sequence[WaitFor]) -> list[RawRecord]:
        if self.locks is None:
            return await db.release(self.conn, keys)
        return await self.locks.release(keys, partial(db.release, self.conn))

    async def expire(self, held_before: datetime) -> list[RawRecord]:
        return await db.expire(self.conn, held_before)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        async with self.conn.transaction():
            yield

    def recoverable(self, exc: Exception) -> bool:
        return not is_transient(exc)

    async def write(self, outcome: BatchOutcome) -> int:
        await db.quarantine(self.conn, outcome.quarantined, outcome.now)
        return await db.append_outbox(self.conn, outcome.all_outgoing(), self.namespace)
