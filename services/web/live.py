"""Live updates: one LISTEN on ``views_changed`` for the whole app, fanned out to the
pages open in browsers (each an SSE stream with a queue of its own).

The read model NOTIFYs after each batch it applies. A page that hears it fetches its own
URL again and swaps the results in (``assets/src/live.js``): what it shows is always what
the page would show on a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

import asyncpg

from services.common.backoff import Backoff

CHANNEL: Final = "views_changed"
QUEUE_MAX: Final = 16
"""Changes waiting for one slow page; more are merged (the page refreshes once anyway)."""
SUBSCRIBERS_MAX: Final = 1000

log = logging.getLogger(__name__)


class Changes:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._queues: set[asyncio.Queue[str]] = set()
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="views_changed listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for queue in self._queues:
            queue.put_nowait("")  # wake every stream so that it ends

    def publish(self, payload: str) -> None:
        for queue in self._queues:
            if queue.full():
                continue  # a refresh is pending already: this change is in it
            queue.put_nowait(payload)

    def subscribe(self) -> asyncio.Queue[str]:
        """A queue of this page's changes ("" when the app stops); unsubscribe when done."""
        if len(self._queues) >= SUBSCRIBERS_MAX:
            raise TooManySubscribers
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_MAX)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        self._queues.discard(queue)

    async def _listen(self) -> None:
        backoff = Backoff(0.5, 10.0)
        while True:
            try:
                conn = await asyncpg.connect(self.database_url)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("cannot LISTEN %s yet (%s); retrying", CHANNEL, exc)
                await asyncio.sleep(backoff.next())
                continue
            lost = asyncio.Event()
            try:
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                backoff.reset()
                self.listening.set()
                self.publish("reconnected")  # changes may have been missed meanwhile
                await lost.wait()
                log.warning("lost the LISTEN connection; reconnecting")
            finally:
                self.listening.clear()
                with contextlib.suppress(OSError, asyncpg.PostgresError):
                    await conn.close()
            await asyncio.sleep(backoff.next())

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self.publish(str(payload) or "changed")


class TooManySubscribers(RuntimeError):
    pass
