"""Live updates: a Server-Sent Events stream that says "changed" whenever the read model
has applied a batch (LISTEN views_changed, see ``services.web.live``). Pages marked with
``data-live-region`` then fetch themselves again (``assets/src/live.js``); without
JavaScript they are complete pages that a reload refreshes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from services.web.areas import Area
from services.web.live import TooManySubscribers
from services.web.state import state_of

HEARTBEAT_SECONDS: Final = 15.0
STREAM_SECONDS: Final = 30 * 60.0
"""A stream ends after this long; the browser's EventSource reconnects by itself (and the
session is checked again)."""


async def changes(request: Request) -> Response:
    state = state_of(request)
    try:
        queue = state.changes.subscribe()
    except TooManySubscribers:
        raise HTTPException(503) from None

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        try:
            yield "retry: 2000\n\n"
            while loop.time() < ends:
                try:
                    payload = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if not payload:
                    return  # the app is stopping
                yield "event: changed\ndata: {}\n\n"
        finally:
            state.changes.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


AREA = Area(
    name="live",
    routes=(Route("/live", changes, methods=["GET"], name="live"),),
    visible_to=lambda _role: True,
)
