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

from services.views import notify
from services.web.areas import Area, user_of
from services.web.live import TooManySubscribers
from services.web.state import state_of

HEARTBEAT_SECONDS: Final = 15.0
STREAM_SECONDS: Final = 30 * 60.0
"""A stream ends after this long; the browser's EventSource reconnects by itself (and the
session is checked again)."""


async def changes(request: Request) -> Response:
    state = state_of(request)
    provider_id = user_of(request).role.provider_id
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
                if concerns(payload, provider_id):
                    yield "event: changed\ndata: {}\n\n"
        finally:
            state.changes.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def concerns(payload: str, provider_id: str | None) -> bool:
    """Whether a change may show on the pages of a user: an adviser hears only of their
    own provider's participants (another provider's activity is not theirs to see);
    anything unreadable, or naming no provider, may concern everyone."""
    change = notify.parse(payload)
    if provider_id is None or change is None:
        return True
    return change.provider_id == provider_id


AREA = Area(
    name="live",
    routes=(Route("/live", changes, methods=["GET"], name="live"),),
    visible_to=lambda _role: True,
)
