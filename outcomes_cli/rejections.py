"""Rejections made readable: reason, message, where the event was, and the original event
(decoded from the bytes the rejection carries, when they are complete). Pure."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from schemas.rejections import ORIGINAL_PREFIX_BYTES, EventRejected
from schemas.topics import REJECTED_ADAPTER

_DURATION = re.compile(r"([0-9]+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class ReadableRejection:
    rejection: EventRejected
    original: Any  # the decoded JSON of the original event, or None
    original_text: str  # what can be shown of the original bytes

    def as_json(self) -> dict[str, Any]:
        r = self.rejection
        return {
            "produced_at": r.produced_at.isoformat(),
            "service": r.service,
            "reason": r.reason.value,
            "message": r.message,
            "source_topic": r.source_topic,
            "source_partition": r.source_partition,
            "source_offset": r.source_offset,
            "source_event_id": r.source_event_id,
            "original": self.original,
            "original_text": None if self.original is not None else self.original_text,
        }


def decode_rejection(value: bytes | None) -> EventRejected | None:
    if value is None:
        return None
    try:
        return REJECTED_ADAPTER.validate_json(value)
    except ValidationError:
        return None


def readable(rejection: EventRejected) -> ReadableRejection:
    """The original decoded as JSON when the rejection carries all of its bytes."""
    try:
        raw = base64.b64decode(rejection.original_prefix_b64, validate=True)
    except (binascii.Error, ValueError):
        return ReadableRejection(rejection, None, "(original not readable)")
    full_length = rejection.original_length
    # The prefix holds the whole original when it was short enough (masking of personal
    # data may have changed its length).
    complete = full_length <= ORIGINAL_PREFIX_BYTES or full_length == len(raw)
    text = raw.decode("utf-8", errors="replace")
    if complete:
        try:
            return ReadableRejection(rejection, json.loads(text), text)
        except (ValueError, RecursionError):
            pass
    suffix = "" if complete else f" ... ({full_length:,} bytes in all)"
    return ReadableRejection(rejection, None, _shorten(text, 200) + suffix)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def format_line(item: ReadableRejection) -> str:
    """One rejection as two lines: what and why, then the original event."""
    r = item.rejection
    where = f"{r.source_topic}[{r.source_partition}]@{r.source_offset}"
    head = f"{r.produced_at:%Y-%m-%d %H:%M:%S}  {r.reason.value:<26} {r.service:<12} {where}"
    original = (
        json.dumps(item.original, separators=(", ", ": "))
        if item.original is not None
        else item.original_text
    )
    return f"{head}\n    {_shorten(r.message, 300)}\n    original: {_shorten(original, 400)}"


def parse_since(text: str, now: datetime) -> datetime:
    """``2024-03-01``, ``2024-03-01T09:00:00Z`` or a duration back from now (``90m``, ``2d``)."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        amount, unit = match.groups()
        return now - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"expected a date, an ISO instant or a duration like 30m/2h/7d, got {text!r}"
        ) from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
