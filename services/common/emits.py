"""What a pure rule returns: its decision and the events it decided to publish.

A domain function is given the time (``now``) and the id of the input it decides on
(``cause``); the events it returns carry ids derived from them (:func:`derived_event_id`:
reprocessing the same input yields the same ids), so the handler only stores and emits.
It names no topic: which topic an event goes on, under which key, is the topic
registry's (``schemas/topics.py``), looked up by the runtime (``BatchOutcome.publish``).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypedDict, TypeVar

from schemas.base import Event
from services.common.holds import WaitFor

EVENT_ID_NAMESPACE = uuid.UUID("5b0c6a52-7d7e-4d38-9a3e-1f0de4c0a001")
_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes


def derived_event_id(*parts: object) -> uuid.UUID:
    """A deterministic event id: reprocessing the same input yields the same id.

    ``uuid.uuid5(EVENT_ID_NAMESPACE, "|".join(parts))``, spelled out as uuid5 is (SHA-1
    of the namespace's bytes and the name's UTF-8, its first 16 bytes, version 5) with
    the namespace's bytes kept: a few events per input take one each."""
    name = "|".join(map(str, parts)).encode()
    digest = hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


class Stamp(TypedDict):
    """What every event a service derives starts with (``Event(**stamp(...), ...)``)."""

    event_id: uuid.UUID
    produced_at: datetime


def stamp(now: datetime, *parts: object) -> Stamp:
    """The id derived from ``parts`` (the same on reprocessing) and the time ``now``."""
    return Stamp(event_id=derived_event_id(*parts), produced_at=now)


D = TypeVar("D", covariant=True)


@dataclass(frozen=True)
class Decided(Generic[D]):
    """A rule's ``decision`` with what follows from it: the events to publish (in
    order; the runtime puts each on the topic its service writes that event type to,
    keyed as the topic registry says) and the keys that held inputs wait for that it
    releases."""

    decision: D
    events: tuple[Event, ...] = ()
    releases: tuple[WaitFor, ...] = ()
