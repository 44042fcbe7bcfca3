"""``views_changed``: a PostgreSQL notification after each committed batch of the read
model, so that pages can update without a reload (the web app turns it into SSE).

The payload is JSON ``{"provider_id": ..., "participant_id": ...}``; ``participant_id``
is null when a batch changed more participants of the provider than are named one by
one (then every page of that provider may have changed). Notifications are sent inside
the batch's transaction: PostgreSQL delivers them only if it commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from services.common.db import Connection

CHANNEL: Final = "views_changed"
MAX_NAMED_PER_BATCH: Final = 200
"""Beyond this many participants in one batch, providers are notified as a whole."""
MAX_PAYLOAD_BYTES: Final = 1000
"""A payload is far under PostgreSQL's 8000-byte limit (ids are bounded)."""


@dataclass(frozen=True)
class Change:
    provider_id: str
    participant_id: str | None

    def payload(self) -> str:
        text = json.dumps(
            {"provider_id": self.provider_id, "participant_id": self.participant_id},
            separators=(",", ":"),
        )
        if len(text.encode()) > MAX_PAYLOAD_BYTES:
            return json.dumps({"provider_id": None, "participant_id": None})
        return text


def parse(payload: str) -> Change | None:
    """A notification's payload; None for anything malformed (ignore it)."""
    try:
        value = json.loads(payload[:MAX_PAYLOAD_BYTES])
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    provider, participant = value.get("provider_id"), value.get("participant_id")
    if not isinstance(provider, str) or not (participant is None or isinstance(participant, str)):
        return None
    return Change(provider, participant)


def bounded(changes: Iterable[Change]) -> list[Change]:
    """The notifications for one batch: each participant once, or per provider past
    ``MAX_NAMED_PER_BATCH``. Sorted, so the same batch notifies the same way."""
    unique = sorted(set(changes), key=lambda c: (c.provider_id, c.participant_id or ""))
    named = [c for c in unique if c.participant_id is not None]
    if len(named) <= MAX_NAMED_PER_BATCH:
        return unique
    providers = sorted({c.provider_id for c in unique})
    return [Change(p, None) for p in providers]


async def send(conn: Connection, changes: Iterable[Change]) -> int:
    """Queue the batch's notifications (delivered at commit); returns how many."""
    chosen = bounded(changes)
    if chosen:
        await conn.execute(
            "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS t(payload)",
            CHANNEL,
            [c.payload() for c in chosen],
        )
    return len(chosen)
