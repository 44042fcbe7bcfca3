"""Decoding of Kafka values into event models, and encoding back to JSON bytes.

Input is bounded before anything else: a fetched batch never inflates beyond its limits
(services/common/inflate.py), a record over ``MAX_MESSAGE_BYTES`` (setting, default 256
KiB, well under the broker's 1 MB) reaches the runtime as a bounded prefix with its length
(:func:`bounded_record`) and is undecodable from its size alone, without being parsed;
the JSON parser then rejects deep nesting, huge numbers and invalid text, and the models
check every field's bounds while parsing (schemas/bounds.py). Every step is linear in the
size, which is bounded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.base import Event
from schemas.bounds import (
    ID_PATTERN,
    MAX_INFLATED_BATCH_BYTES,
    MAX_INFLATED_FETCH_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_SEPARATORS,
    PROVIDER_ID_PATTERN,
    TEXT_PATTERN,
)
from schemas.personal_data import personal_data_shape
from schemas.rejections import ORIGINAL_PREFIX_BYTES
from services.common.inflate import Limits
from services.common.messages import Cut, RawRecord, Received, cut_to
from services.common.recall import Recall

RECORD_SLACK_BYTES = 16 * 1024
"""Room for a record's key and headers next to a value of MAX_MESSAGE_BYTES."""

_MAX_ERRORS = 5
_MAX_LOCATION = 100
_MAX_REASON = 300


class InputLimits(BaseSettings):
    """Inbound size limits (environment variables of these names)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    max_message_bytes: int = Field(default=MAX_MESSAGE_BYTES, ge=1)
    max_inflated_batch_bytes: int = Field(default=MAX_INFLATED_BATCH_BYTES, ge=64 * 1024)
    max_inflated_fetch_bytes: int = Field(default=MAX_INFLATED_FETCH_BYTES, ge=64 * 1024)

    def inflate_limits(self) -> Limits:
        return Limits(
            max_record_bytes=self.max_message_bytes + RECORD_SLACK_BYTES,
            prefix_bytes=ORIGINAL_PREFIX_BYTES,
            max_inflated_batch_bytes=self.max_inflated_batch_bytes,
            max_inflated_fetch_bytes=max(
                self.max_inflated_fetch_bytes, self.max_inflated_batch_bytes
            ),
        )


@cache
def input_limits() -> InputLimits:
    """The configured limits (read once per process)."""
    return InputLimits()


def max_message_bytes() -> int:
    """The configured limit on a provider message (read once per process)."""
    return input_limits().max_message_bytes


def bounded_record(record: RawRecord, max_bytes: int | None = None) -> RawRecord:
    """``record`` with a provider value over the limit cut to its first
    ``ORIGINAL_PREFIX_BYTES`` (see messages.Cut): nothing later masks, parses, hashes or
    stores more of it. Records of internal topics are our own events, left whole."""
    limit = max_message_bytes() if max_bytes is None else max_bytes
    if record.cut is not None or record.spec.owner != "providers" or len(record.value) <= limit:
        return record
    why = f"over the size limit: a record of {len(record.value):,} bytes"
    prefix, cut = cut_to(record.value, ORIGINAL_PREFIX_BYTES, why)
    return replace(record, value=prefix, cut=cut)


@dataclass(frozen=True)
class Undecodable:
    record: RawRecord
    message: str


def oversize_message(size: int, limit: int) -> str | None:
    """Why a value of ``size`` bytes is refused, or None when it fits."""
    if size <= limit:
        return None
    return f"message is {size:,} bytes, over the limit of {limit:,} bytes (MAX_MESSAGE_BYTES)"


def cut_message(cut: Cut, limit: int) -> str:
    """Why a record kept only in part is refused: its size, or why it was not read."""
    if cut.length > limit:
        return oversize_message(cut.length, limit) or cut.why
    return cut.why


def too_many_members(value: bytes) -> str | None:
    """Why a value with very many ``:`` is refused (one error per member would cost too much)."""
    separators = value.count(b":")
    if separators <= MAX_SEPARATORS:
        return None
    return (
        f"message has {separators:,} ':' characters, over the limit of {MAX_SEPARATORS:,}: "
        "a provider event is one flat JSON object with a few short fields"
    )


def personal_key(key: bytes | None) -> str | None:
    """Why a provider record's key is refused: it holds a NINO or a date (schemas/
    personal_data.py). The key travels with the record into holds and quarantines
    downstream of intake, where personal data must never be."""
    shape = None if not key else personal_data_shape(key.decode("utf-8", "replace"))
    if shape is None:
        return None
    return f"key: must not hold {shape} (NINO- or date-shaped): keys are ids, never personal"


_DECODED = "_decoded"
"""Where :func:`decode` keeps its result on the (immutable) record: the lock keys of a
batch, its processing and its releases decode each record once."""

HELD = Recall()
"""What the records this process held decoded to: their release is not decoded again
(services/common/recall.py; a record held by another instance is decoded here)."""


def decode(record: RawRecord, max_bytes: int | None = None) -> Received[Event] | Undecodable:
    """Validate the value against the topic's models; explain the first errors if invalid.

    Provider input is bounded first (size, then members) and its key checked (no personal
    data); our own services' events are not. The result is remembered on the record for
    the same limit (a record is immutable, and so is what it decodes to).

    Our own services' events still pass every check of their models, the personal-data
    check of ids and texts included, although their writer ran the same checks when it
    built them: skipping it would make "no NINO or date of birth leaves intake" rest on
    every writer of an internal topic (its ACL, a replayed or hand-written record) rather
    than on the reader too, and after the pre-filter (schemas/personal_data.py) it costs
    about a microsecond per event, a recurring id nothing (docs/performance.md).
    """
    limit = max_message_bytes() if max_bytes is None else max_bytes
    remembered = record.__dict__.get(_DECODED)
    if remembered is not None and remembered[0] == limit:
        return remembered[1]  # type: ignore[no-any-return]
    decoded: Received[Event] | Undecodable | None = HELD.take(record, limit)
    if decoded is None:
        decoded = _decode(record, limit)
    object.__setattr__(record, _DECODED, (limit, decoded))
    return decoded


def remember_held(records: Iterable[RawRecord]) -> None:
    """Keep what these records (about to be held) decoded to, for their release in this
    process (:data:`HELD`); a record not decoded yet, or undecodable, is not kept."""
    for record in records:
        remembered = record.__dict__.get(_DECODED)
        if remembered is not None and isinstance(remembered[1], Received):
            HELD.keep(remembered[1], remembered[0])


def _decode(record: RawRecord, limit: int) -> Received[Event] | Undecodable:
    if record.spec.owner == "providers":
        if record.cut is not None:
            return Undecodable(record, cut_message(record.cut, limit))
        refused = (
            oversize_message(len(record.value), limit)
            or too_many_members(record.value)
            or personal_key(record.key)
        )
        if refused is not None:
            return Undecodable(record, refused)
    try:
        event = record.spec.adapter.validate_json(record.value)
    except ValidationError as exc:
        return Undecodable(record, explain(exc))
    return Received(record, event)


def explain(exc: ValidationError) -> str:
    """The first errors as ``field: reason``; never echoes the (maybe huge) input."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:_MAX_ERRORS]:
        location = ".".join(str(p) for p in error["loc"])[:_MAX_LOCATION] or "value"
        reason = error_message(error)
        if len(reason) > _MAX_REASON:
            reason = reason[:_MAX_REASON] + "..."
        parts.append(f"{location}: {reason}")
    more = exc.error_count() - len(parts)
    suffix = f" (+{more} more)" if more > 0 else ""
    return "; ".join(parts) + suffix


_PATTERN_MEANING = {
    ID_PATTERN: "may use only A-Z a-z 0-9 _ . : / - and must start with a letter or digit",
    PROVIDER_ID_PATTERN: "may use only A-Z a-z 0-9 _ - (no dots: it names Kafka topics)",
    TEXT_PATTERN: "must not be blank or hold a control character (NUL, tab, line break, ...)",
}


def error_message(error: Any) -> str:
    """A pydantic error in words a provider can act on (patterns spelled out)."""
    pattern = (error.get("ctx") or {}).get("pattern")
    if error.get("type") == "string_pattern_mismatch" and pattern in _PATTERN_MEANING:
        return _PATTERN_MEANING[pattern]
    return str(error["msg"])


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


def content_digest(item: Received[Event] | Undecodable) -> bytes:
    """SHA-256 of an input's content, kept in the inbox next to its id.

    For an event: its canonical JSON (the validated model dumped again, every field
    included), so the same event re-sent with other whitespace or key order is the same
    content. For an undecodable record (its id is its position): its bytes, or for one
    kept only in part the digest of its length and prefix (messages.bounded_digest).
    """
    if isinstance(item, Received):
        return hashlib.sha256(item.event.model_dump_json().encode()).digest()
    return item.record.sha256()
