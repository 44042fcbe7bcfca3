"""A provider value over the size limit becomes a bounded prefix before any work on it."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from schemas.common import RejectionReason
from schemas.rejections import ORIGINAL_PREFIX_BYTES
from schemas.topics import PARTICIPANTS, PROVIDER_INTAKE
from services.common.codec import Undecodable, bounded_record, content_digest, decode
from services.common.messages import Cut, RawRecord, bounded_digest
from services.common.outcome import BatchOutcome

LIMIT = 1_000
HUGE = b'{"nino": "AB123456C", "pad": "' + b"A" * 50_000 + b'"}'


def record(value: bytes, spec: object = PROVIDER_INTAKE, cut: Cut | None = None) -> RawRecord:
    topic = "provider.prov-a.intake.v1" if spec is PROVIDER_INTAKE else "intake.participants.v1"
    return RawRecord(spec, topic, 0, 7, b"k", value, cut)  # type: ignore[arg-type]


def test_a_provider_value_over_the_limit_keeps_a_prefix_its_length_and_their_digest() -> None:
    bounded = bounded_record(record(HUGE), LIMIT)
    assert bounded.value == HUGE[:ORIGINAL_PREFIX_BYTES]
    assert bounded.length == len(HUGE)
    assert bounded.sha256() == bounded_digest(HUGE[:ORIGINAL_PREFIX_BYTES], len(HUGE))
    assert bounded.sha256() != hashlib.sha256(HUGE).digest()


def test_values_within_the_limit_internal_topics_and_cut_records_are_left_alone() -> None:
    small = record(b'{"a": 1}')
    assert bounded_record(small, LIMIT) is small
    internal = record(HUGE, PARTICIPANTS)
    assert bounded_record(internal, LIMIT) is internal
    already = record(b"x" * 10, cut=Cut(10**9, b"\x00" * 32, "over the size limit"))
    assert bounded_record(already, LIMIT) is already


def test_a_cut_record_is_invalid_schema_from_its_size_alone() -> None:
    cut = record(b"{not json at all", cut=Cut(734_003_200, b"\x01" * 32, "over the size limit"))
    decoded = decode(cut, LIMIT)
    assert isinstance(decoded, Undecodable)
    assert decoded.message == (
        "message is 734,003,200 bytes, over the limit of 1,000 bytes (MAX_MESSAGE_BYTES)"
    )
    assert content_digest(decoded) == b"\x01" * 32


def test_a_record_never_read_says_why() -> None:
    why = "not read: the compressed batch inflates to more than 4,194,304 bytes"
    decoded = decode(record(b"", cut=Cut(0, bounded_digest(b"", 0), why)), LIMIT)
    assert isinstance(decoded, Undecodable)
    assert decoded.message == why


def test_the_rejection_describes_the_whole_and_masks_and_keeps_only_the_prefix() -> None:
    masked: list[int] = []

    def mask(value: bytes) -> bytes:
        masked.append(len(value))
        return value.replace(b"AB123456C", b"AB******C")

    outcome = BatchOutcome("intake", datetime(2024, 1, 1, tzinfo=UTC), mask)
    bounded = bounded_record(record(HUGE), LIMIT)
    outcome.reject_record(bounded, RejectionReason.INVALID_SCHEMA, "too big")
    [rejected] = outcome.rejections
    assert rejected.original_length == len(HUGE)
    assert rejected.original_sha256 == bounded.sha256().hex()
    prefix = base64.b64decode(rejected.original_prefix_b64)
    assert prefix.startswith(b'{"nino": "AB******C"')
    assert max(masked) <= ORIGINAL_PREFIX_BYTES
    [kept] = outcome.quarantined
    assert len(kept.record.value) <= ORIGINAL_PREFIX_BYTES
    assert kept.record.cut is not None
    assert kept.record.cut.length == len(HUGE)


def test_a_record_is_decoded_once_per_limit_and_equal_records_stay_equal() -> None:
    huge = record(HUGE)
    first = decode(huge, LIMIT)
    assert isinstance(first, Undecodable)
    assert decode(huge, LIMIT) is first  # the lock keys, the batch, a release: one decode
    within = decode(huge, 10 * len(HUGE))  # another limit is decided again: not its size
    assert isinstance(within, Undecodable)
    assert "over the limit" not in within.message
    assert "over the limit" in first.message
    assert huge == record(HUGE)  # what it remembers is no part of the record's value
