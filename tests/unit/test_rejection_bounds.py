"""Rejections always fit their topic: bounded prefix, length, SHA-256, clipped text."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import RejectionReason
from schemas.rejections import (
    MAX_REJECTION_BYTES,
    MESSAGE_MAX,
    ORIGINAL_PREFIX_BYTES,
    TEXT_MAX,
    WORST_CASE_BYTES,
)
from schemas.topics import PLACEMENTS, PROVIDER_INTAKE, PROVIDER_PLACEMENTS
from services.common.codec import encode
from services.common.messages import RawRecord
from services.common.outcome import BatchOutcome, clip

NOW = datetime(2024, 12, 2, 9, 0, tzinfo=UTC)
BROKER_MAX_MESSAGE_BYTES = 1_048_588  # Kafka's default max.message.bytes


def record(value: bytes, topic: str = "placement.placements.v1") -> RawRecord:
    """A record of an internal topic: the provider id copied in is the event's own."""
    return RawRecord(PLACEMENTS, topic, 3, 41, b"ev-1", value)


def test_a_900_kb_input_with_a_10k_char_provider_id_gives_a_small_rejection() -> None:
    # given a 900 KB value and hostile text for every field copied into the rejection
    value = b'{"provider_id": "' + b"p" * 900_000 + b'"}'
    provider_id = "P" * 10_000
    message = "\x00" * 100_000  # each escapes to 6 JSON bytes
    outcome = BatchOutcome("sustainment", NOW)

    # when it is rejected
    outcome.reject_record(
        record(value), RejectionReason.INVALID_SCHEMA, message, "e" * 10_000, provider_id
    )

    # then the encoded rejection is bounded, far under the broker's limit ...
    [rejected] = outcome.rejections
    size = len(encode(rejected))
    assert size <= MAX_REJECTION_BYTES < BROKER_MAX_MESSAGE_BYTES
    print(f"900 KB input -> rejection of {size:,} bytes")
    # ... it holds a prefix of the original, its full length and its SHA-256 ...
    prefix = base64.b64decode(rejected.original_prefix_b64)
    assert prefix == value[:ORIGINAL_PREFIX_BYTES]
    assert rejected.original_length == len(value)
    assert rejected.original_sha256 == hashlib.sha256(value).hexdigest()
    # ... every copied text is clipped and says how long it was ...
    assert rejected.provider_id == "P" * (TEXT_MAX - 17) + "...[10,000 chars]"
    assert rejected.source_event_id == "e" * (TEXT_MAX - 17) + "...[10,000 chars]"
    assert len(rejected.message) == MESSAGE_MAX
    # ... and the full original is kept for the quarantine table
    [kept] = outcome.quarantined
    assert kept.record.value == value
    assert kept.sha256 == rejected.original_sha256


def test_the_worst_case_is_within_the_bound_by_construction() -> None:
    assert WORST_CASE_BYTES <= MAX_REJECTION_BYTES


def test_the_masker_applies_to_the_published_prefix_only() -> None:
    # given a service that masks a NINO in its originals
    value = b'{"nino": "AB123456C", "x": 1}'
    outcome = BatchOutcome(
        "intake",
        NOW,
        lambda v: v.replace(b"AB123456C", b"AB******C"),
        keep_personal_data=True,  # intake's quarantine keeps the original
    )

    # when it rejects the record
    outcome.reject_record(
        RawRecord(PROVIDER_INTAKE, "provider.prov-a.intake.v1", 0, 0, None, value),
        RejectionReason.INVALID_NINO,
        "nino: invalid",
    )

    # then the topic sees the masked bytes, the quarantine the original
    [rejected] = outcome.rejections
    assert base64.b64decode(rejected.original_prefix_b64) == b'{"nino": "AB******C", "x": 1}'
    assert rejected.original_sha256 == hashlib.sha256(value).hexdigest()
    assert outcome.quarantined[0].record.value == value


def test_outside_intake_the_quarantine_keeps_the_masked_original() -> None:
    value = b'{"nino": "AB123456C", "x": 1}'
    outcome = BatchOutcome("placement", NOW, lambda v: v.replace(b"AB123456C", b"AB******C"))
    outcome.reject_record(
        RawRecord(PROVIDER_PLACEMENTS, "provider.prov-a.placements.v1", 0, 0, None, value),
        RejectionReason.INVALID_SCHEMA,
        "not a job start",
    )
    assert outcome.quarantined[0].record.value == b'{"nino": "AB******C", "x": 1}'


def test_outside_intake_a_rejected_original_is_masked_once() -> None:
    # given a service whose masker is counted (masking a value near MAX_MESSAGE_BYTES
    # costs tens of milliseconds: the prefix and the quarantined copy share one pass)
    value = b'{"nino": "AB123456C", "pad": "' + b"A" * 20_000 + b'"}'
    calls: list[int] = []

    def masker(v: bytes) -> bytes:
        calls.append(len(v))
        return v.replace(b"AB123456C", b"AB******C")

    outcome = BatchOutcome("sustainment", NOW, masker)

    # when it rejects the record
    outcome.reject_record(
        RawRecord(PROVIDER_PLACEMENTS, "provider.prov-a.placements.v1", 0, 7, None, value),
        RejectionReason.INVALID_SCHEMA,
        "pad: extra inputs are not permitted",
    )

    # then the masker ran once, over the whole value, and both copies come from its result
    assert calls == [len(value)]
    masked = value.replace(b"AB123456C", b"AB******C")
    [rejected] = outcome.rejections
    assert base64.b64decode(rejected.original_prefix_b64) == masked[:ORIGINAL_PREFIX_BYTES]
    assert outcome.quarantined[0].record.value == masked
    assert rejected.original_sha256 == hashlib.sha256(value).hexdigest()


def test_a_failing_masker_publishes_no_prefix() -> None:
    def broken(value: bytes) -> bytes:
        raise ValueError("cannot parse")

    outcome = BatchOutcome("intake", NOW, broken)
    outcome.reject_record(record(b"AB123456C"), RejectionReason.INVALID_SCHEMA, "bad")

    assert outcome.rejections[0].original_prefix_b64 == ""
    assert outcome.rejections[0].original_length == 9


def test_outside_intake_a_failing_masker_keeps_no_copy() -> None:
    def broken(value: bytes) -> bytes:
        raise ValueError("cannot parse")

    outcome = BatchOutcome("placement", NOW, broken)
    outcome.reject_record(record(b"AB123456C"), RejectionReason.INVALID_SCHEMA, "bad")

    assert outcome.rejections[0].original_prefix_b64 == ""
    assert outcome.quarantined[0].record.value == b""
    assert outcome.quarantined[0].sha256 == hashlib.sha256(b"AB123456C").hexdigest()


def test_a_rejection_message_carries_no_nul() -> None:
    # the read model keeps rejections in text columns, which refuse NUL
    outcome = BatchOutcome("placement", NOW)
    outcome.reject_record(record(b"{}"), RejectionReason.PROCESSING_FAILED, "bad \x00 byte")

    assert outcome.rejections[0].message == "bad \\x00 byte"


def test_clip_keeps_short_text_and_marks_long_text() -> None:
    assert clip("short", 10) == "short"
    assert clip("x" * 50, 20) == "xxxxxxx...[50 chars]"
    assert clip("\ud800lone", 10) == "?lone"


@settings(max_examples=200, deadline=None)
@given(
    value=st.binary(max_size=40_000),
    message=st.text(max_size=5_000),
    provider_id=st.none() | st.text(max_size=2_000),
    source_event_id=st.none() | st.text(max_size=2_000),
)
def test_any_rejection_is_within_the_bound(
    value: bytes, message: str, provider_id: str | None, source_event_id: str | None
) -> None:
    outcome = BatchOutcome("placement", NOW)
    outcome.reject_record(
        record(value, topic="t" * 1_000),
        RejectionReason.PROCESSING_FAILED,
        message,
        source_event_id,
        provider_id,
    )
    [rejected] = outcome.rejections
    assert len(encode(rejected)) <= MAX_REJECTION_BYTES
    assert rejected.original_length == len(value)
