"""Rejections: every inbound event that cannot be accepted, bounded so it always fits.

A rejection never carries the whole original: it carries a prefix of it (after the
service's masking of personal data), the original's full length and its SHA-256, so a
provider can match it to what it sent. The full, unmasked original stays in the
rejecting service's own ``quarantine`` table (for inspection and replay).

Every free-text field is bounded here, and ``services.common.outcome`` clips the values
it copies in, so the encoded event is at most ``MAX_REJECTION_BYTES`` — far under the
broker's ``max.message.bytes`` (1 MB by default) whatever the input was.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field

from schemas.base import Event
from schemas.common import RejectionReason

ORIGINAL_PREFIX_BYTES: Final = 8 * 1024
"""At most this many bytes of the original are copied into a rejection."""
MESSAGE_MAX: Final = 2000
"""Characters of the explanation."""
TEXT_MAX: Final = 300
"""Characters of any other text copied in (ids, topic, provider id)."""

MAX_REJECTION_BYTES: Final = 64 * 1024
"""Upper bound of an encoded rejection (JSON, UTF-8), checked when one is built."""

_BASE64_MAX: Final = 4 * ((ORIGINAL_PREFIX_BYTES + 2) // 3)
_JSON_BYTES_PER_CHAR: Final = 6  # worst case: a control character escaped as \u00XX
_ENVELOPE_MAX: Final = 1024  # field names, uuid, instant, enum values, integers, braces
WORST_CASE_BYTES: Final = (
    _BASE64_MAX
    + _JSON_BYTES_PER_CHAR * (MESSAGE_MAX + 4 * TEXT_MAX)
    + 64  # sha256 hex
    + _ENVELOPE_MAX
)
assert WORST_CASE_BYTES <= MAX_REJECTION_BYTES, WORST_CASE_BYTES

ClippedText = Annotated[str, Field(max_length=TEXT_MAX)]


class EventRejected(Event):
    """An input that was not accepted, why, where it was read, and a bounded copy of it.

    ``original_prefix_b64`` is the start of the bytes received (at most
    ``ORIGINAL_PREFIX_BYTES``, after the service masked personal data);
    ``original_length`` and ``original_sha256`` describe the exact bytes received. An
    input over the size limit is never read, hashed or kept beyond a bounded prefix: its
    SHA-256 is then of its length (8 bytes, big-endian) followed by that prefix.
    """

    type: Literal["event_rejected"] = "event_rejected"
    service: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
    reason: RejectionReason
    message: Annotated[str, Field(max_length=MESSAGE_MAX)]
    source_topic: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
    source_partition: int
    source_offset: int
    source_event_id: ClippedText | None = None
    provider_id: ClippedText | None = None
    original_prefix_b64: Annotated[
        str,
        Field(
            max_length=_BASE64_MAX,
            description=f"Base64 of the first {ORIGINAL_PREFIX_BYTES:,} bytes received"
            " (personal data masked by the service that rejected it)",
        ),
    ]
    original_length: Annotated[
        int, Field(ge=0, description="Length in bytes of the value received")
    ]
    original_sha256: Annotated[
        str,
        Field(
            pattern=r"^[0-9a-f]{64}$",
            description="SHA-256 (hex) of the exact bytes received, before any masking;"
            " of an input over the size limit: of its length (8 bytes, big-endian) and its"
            f" first {ORIGINAL_PREFIX_BYTES:,} bytes",
        ),
    ]
