"""A record released from the hold in the process that held it is not decoded again, and
is served only for the exact bytes it was held with (services/common/recall.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from schemas.base import Event
from schemas.topics import PROVIDER_EVIDENCE
from services.common import codec
from services.common.codec import decode, remember_held
from services.common.messages import RawRecord, Received
from services.common.recall import ENTRY_ALLOWANCE_BYTES, Recall

TOPIC = "provider.prov-a.evidence.v1"
ids = st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True)


def retraction(evidence_id: str, event_id: uuid.UUID | None = None) -> bytes:
    return json.dumps(
        {
            "type": "evidence_retraction",
            "event_id": str(event_id or uuid.uuid4()),
            "produced_at": "2026-03-01T09:00:00Z",
            "provider_id": "prov-a",
            "evidence_id": evidence_id,
        }
    ).encode()


def record(value: bytes, offset: int = 7, key: bytes | None = b"k") -> RawRecord:
    return RawRecord(PROVIDER_EVIDENCE, TOPIC, 0, offset, key, value)


def from_the_hold(held: RawRecord) -> RawRecord:
    """The record as db.release builds it from its row: a new object, the same fields."""
    return RawRecord(held.spec, held.topic, held.partition, held.offset, held.key, held.value)


def fresh(held: RawRecord) -> Received[Event]:
    decoded = codec._decode(from_the_hold(held), codec.max_message_bytes())
    assert isinstance(decoded, Received)
    return decoded


@given(evidence_id=ids, offset=st.integers(0, 2**40))
def test_a_released_record_decodes_to_what_a_fresh_decode_gives(
    evidence_id: str, offset: int
) -> None:
    held = record(retraction(evidence_id), offset)
    first = decode(held)
    remember_held([held])
    released = from_the_hold(held)
    again = decode(released)
    assert isinstance(first, Received)
    assert isinstance(again, Received)
    assert again.record is released  # bound to the record released, not the one held
    assert again.event is first.event  # not decoded again
    assert again == fresh(held)
    assert again.event.model_dump() == fresh(held).event.model_dump()
    assert again.message_id == first.message_id


@given(evidence_id=ids, other=ids, key=st.binary(max_size=8) | st.none())
def test_a_different_payload_at_the_same_position_is_decoded_afresh(
    evidence_id: str, other: str, key: bytes | None
) -> None:
    held = record(retraction(evidence_id))
    decode(held)
    remember_held([held])
    different = replace(from_the_hold(held), value=retraction(other), key=key)
    if different.value == held.value and different.key == held.key:
        return
    again = decode(different)
    assert again == codec._decode(different, codec.max_message_bytes())
    assert isinstance(again, Received)
    assert isinstance(decode(held), Received)
    assert again.event.evidence_id == other  # type: ignore[attr-defined]


def test_an_entry_is_taken_once_and_a_miss_decodes() -> None:
    recall = Recall()
    held = record(retraction("e1"))
    first = decode(held)
    assert isinstance(first, Received)
    recall.keep(first, 1000)
    assert recall.take(from_the_hold(held), 999) is None  # another limit: another entry
    assert recall.take(from_the_hold(held), 1000) is not None
    assert recall.take(from_the_hold(held), 1000) is None
    assert len(recall) == 0
    assert recall.bytes == 0


def test_a_record_held_by_another_instance_is_decoded() -> None:
    value = retraction("e2")
    released = from_the_hold(record(value, offset=12_345_678_901))
    assert codec.HELD.take(released, codec.max_message_bytes()) is None
    assert decode(released) == codec._decode(released, codec.max_message_bytes())


@given(
    max_entries=st.integers(0, 20),
    max_bytes=st.integers(0, 20 * ENTRY_ALLOWANCE_BYTES),
    sizes=st.lists(st.integers(1, 3000), max_size=60),
)
def test_the_bounds_hold(max_entries: int, max_bytes: int, sizes: list[int]) -> None:
    recall = Recall(max_entries=max_entries, max_bytes=max_bytes, max_value_bytes=2000)
    event = decode(record(retraction("e3")))
    assert isinstance(event, Received)
    for offset, size in enumerate(sizes):
        padded = replace(event.record, offset=offset, value=b" " * size)
        recall.keep(Received(padded, event.event), 1000)
        assert len(recall) <= max_entries
        assert recall.bytes <= max_bytes
        assert recall.bytes == sum(
            len(e.value) + len(e.key or b"") + ENTRY_ALLOWANCE_BYTES
            for e in recall._entries.values()
        )
    fitting = [
        offset
        for offset, size in enumerate(sizes)
        if size <= 2000 and max_entries >= 1 and size + 1 + ENTRY_ALLOWANCE_BYTES <= max_bytes
    ]
    if fitting:  # the newest entry that fits is never evicted by its own keep
        newest = replace(event.record, offset=fitting[-1], value=b" " * sizes[fitting[-1]])
        assert recall.take(newest, 1000) == Received(newest, event.event)
