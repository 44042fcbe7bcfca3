"""Rejections made readable and the status classification (pure parts of the CLI)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from outcomes_cli.publish import Receipt, Sent
from outcomes_cli.rejections import format_line, parse_since, readable
from outcomes_cli.status_logic import Held, classify, format_statuses
from schemas.common import RejectionReason
from schemas.rejections import EventRejected


def rejection(
    original: bytes,
    *,
    offset: int = 4,
    event_id: str | None = "ev-2",
    prefix: bytes | None = None,
) -> EventRejected:
    return EventRejected(
        event_id=uuid.uuid4(),
        produced_at=datetime(2024, 3, 1, 9, tzinfo=UTC),
        service="intake",
        reason=RejectionReason.INVALID_NINO,
        message="nino: not a National Insurance number",
        source_topic="provider.intake.v1",
        source_partition=1,
        source_offset=offset,
        source_event_id=event_id,
        provider_id="prov-a",
        original_prefix_b64=base64.b64encode(original if prefix is None else prefix).decode(),
        original_length=len(original),
        original_sha256=hashlib.sha256(original).hexdigest(),
    )


def test_a_rejection_shows_reason_message_position_and_the_original_event() -> None:
    item = readable(rejection(b'{"type": "referral", "nino": "QQ"}'))
    assert item.original == {"type": "referral", "nino": "QQ"}
    text = format_line(item)
    assert "invalid_nino" in text
    assert "provider.intake.v1[1]@4" in text
    assert text.endswith('original: {"type": "referral", "nino": "QQ"}')
    assert item.as_json()["reason"] == "invalid_nino"


def test_a_masked_original_is_still_decoded_and_a_cut_one_shown_as_text() -> None:
    sent = b'{"type": "referral", "nino": "AB 12 34 56 C"}'
    masked = readable(rejection(sent, prefix=b'{"type": "referral", "nino": "AB******C"}'))
    assert masked.original == {"type": "referral", "nino": "AB******C"}

    long = b'{"type": "referral", "borough": "' + b"x" * 10_000 + b'"}'
    cut = readable(rejection(long, prefix=long[:8192]))
    assert cut.original is None
    assert cut.original_text.endswith("… ... (10,035 bytes in all)")


def test_bytes_that_are_not_json_are_shown_as_text() -> None:
    item = readable(rejection(b"\xff not json"))
    assert item.original is None
    assert item.original_text.endswith(" not json")
    assert item.as_json()["original_text"] == item.original_text


def test_since_takes_dates_instants_and_durations() -> None:
    now = datetime(2024, 3, 10, 12, tzinfo=UTC)
    assert parse_since("2d", now) == now - timedelta(days=2)
    assert parse_since("90m", now) == now - timedelta(minutes=90)
    assert parse_since("2024-03-01", now) == datetime(2024, 3, 1, tzinfo=UTC)
    assert parse_since("2024-03-01T09:00:00+00:00", now) == datetime(2024, 3, 1, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="duration like"):
        parse_since("yesterday", now)


def test_each_event_sent_is_accepted_rejected_or_held_by_position_or_event_id() -> None:
    intake, evidence = "ns.provider.prov-a.intake.v1", "ns.provider.prov-a.evidence.v1"
    sent = [
        Sent(1, "ev-1", "referral", "r1", intake, 0, 7),
        Sent(2, "ev-2", "referral", "r2", intake, 1, 9),  # a re-sent copy
        Sent(3, "ev-3", "evidence", "e1", evidence, 2, 0),
        Sent(4, "ev-3", "evidence", "e1", evidence, 2, 5),  # the held one sent again
    ]
    # the hold names a provider's event as the inbox does: <provider>:<event_id> (v3 §9)
    held = [Held("sustainment", "prov-a:ev-3", evidence, 2, 0, "placement:prov-a:p9", b"{}", "t")]
    statuses = classify(sent, [rejection(b"{}", offset=4)], held)

    assert [(s.sent.line, s.state) for s in statuses] == [
        (1, "accepted"),
        (2, "rejected"),
        (3, "held"),
        (4, "held"),
    ]
    assert statuses[2].detail == "waiting for placement (job start) p9"
    text = format_statuses(statuses)
    assert text[0] == "4 events processed: 1 accepted, 1 rejected, 2 held"
    assert "  line 3: evidence e1 (ev-3) — waiting for placement (job start) p9" in text


def test_a_receipt_survives_its_file_and_counts_per_topic_and_type() -> None:
    receipt = Receipt(
        "prov-a",
        "ns.",
        (
            Sent(1, "ev-1", "referral", "r1", "t1", 0, 7),
            Sent(2, "ev-2", "programme_start", "r1", "t1", 0, 8),
            Sent(3, "ev-3", "referral", "r2", "t1", 1, 0),
        ),
    )
    assert Receipt.from_json(receipt.to_json()) == receipt
    assert receipt.counts() == [("t1", "programme_start", 1), ("t1", "referral", 2)]
    assert json.loads(receipt.to_json())["provider_id"] == "prov-a"


@pytest.mark.parametrize(
    ("service", "waiting_for", "why"),
    [
        ("intake", "referral:prov-a:r1", "waiting for referral r1"),
        ("intake", "started:prov-a:r1", "waiting for the programme start of referral r1"),
        (
            "placement",
            "referral:prov-a:r1",
            "waiting for referral r1 to be started (referral and programme start)",
        ),
        ("placement", "placement:prov-a:p1", "waiting for job start p1"),
        ("sustainment", "placement:prov-a:p1", "waiting for placement (job start) p1"),
        ("sustainment", "evidence:prov-a:e:1", "waiting for evidence e:1"),
        ("sustainment", "something:x", "waiting for x"),
    ],
)
def test_a_held_event_says_what_it_waits_for(service: str, waiting_for: str, why: str) -> None:
    held = Held(service, "ev", "t", 0, 0, waiting_for, b"{}", "t")
    assert held.why() == why


def test_without_the_database_an_event_not_rejected_is_accepted_or_held() -> None:
    sent = [
        Sent(1, "ev-1", "referral", "r1", "provider.intake.v1", 0, 7),
        Sent(2, "ev-2", "referral", "r2", "provider.intake.v1", 1, 4),
    ]
    statuses = classify(sent, [rejection(b"{}", offset=4)], None)
    assert [s.state for s in statuses] == ["accepted or held", "rejected"]
    assert format_statuses(statuses)[0] == (
        "2 events processed: 1 rejected, 1 accepted or held (no database access to tell)"
    )
