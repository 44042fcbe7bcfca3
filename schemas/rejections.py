"""Rejections: every inbound event that cannot be accepted, with its original bytes."""

from __future__ import annotations

from typing import Literal

from schemas.base import Event
from schemas.common import NonEmptyStr, RejectionReason


class EventRejected(Event):
    """An input that was not accepted. ``original_b64`` holds the exact bytes received."""

    type: Literal["event_rejected"] = "event_rejected"
    service: NonEmptyStr
    reason: RejectionReason
    message: str
    source_topic: NonEmptyStr
    source_partition: int
    source_offset: int
    source_event_id: str | None = None
    provider_id: str | None = None
    original_b64: str
