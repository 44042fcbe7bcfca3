"""Bounded inflation of fetched batches (services/common/inflate.py).

Batches are built with aiokafka's builder and read back with aiokafka's parser, so the
rewritten bytes are checked by the code that will read them in the services.
"""

from __future__ import annotations

import gzip
import hashlib
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.inflate import CUT_HEADER, Limits, bound_batches, cut_of
from services.common.messages import bounded_digest
from tests.unit.inflate_builders import GZIP, Parsed, batch, parse

LIMITS = Limits(
    max_record_bytes=1_000,
    prefix_bytes=100,
    max_inflated_batch_bytes=2_000_000,
    max_inflated_fetch_bytes=4_000_000,
)
SMALL = [b'{"n": %d}' % n for n in range(3)]


def cut(record: Parsed) -> tuple[int, bytes, str] | None:
    found = cut_of(record.headers)
    return None if found is None else (found.length, found.sha256, found.why)


def test_a_gzip_batch_within_the_limits_is_handed_on_uncompressed_record_for_record() -> None:
    bounded = bound_batches(batch(SMALL, base_offset=40, codec=GZIP), LIMITS)
    records = parse(bounded.data)
    assert [(r.offset, r.key, r.value) for r in records] == [
        (40 + n, f"k{n}".encode(), value) for n, value in enumerate(SMALL)
    ]
    assert not any(r.compressed or r.headers for r in records)
    assert (bounded.cut, bounded.replaced) == (0, 0)


def test_an_uncompressed_batch_within_the_limits_is_left_as_it_is() -> None:
    data = batch(SMALL, base_offset=7)
    assert bound_batches(data, LIMITS).data is data


def test_an_over_large_record_keeps_a_prefix_its_length_and_digest_and_the_rest_is_read() -> None:
    huge = b'{"event_id": "x", "pad": "' + b"A" * 1_000_000 + b'"}'
    bounded = bound_batches(batch([SMALL[0], huge, SMALL[1]], codec=GZIP), LIMITS)
    first, middle, last = parse(bounded.data)
    assert (first.value, last.value) == (SMALL[0], SMALL[1])
    assert last.offset == 2
    assert cut(last) is None
    assert middle.value == huge[:100]
    assert middle.key == b"k1"
    assert cut(middle) == (
        len(huge),
        bounded_digest(huge[:100], len(huge)),
        f"over the size limit: a record of {len(huge) + 10:,} bytes",
    )
    assert (
        bounded_digest(huge[:100], len(huge))
        == hashlib.sha256(struct.pack(">q", len(huge)) + huge[:100]).digest()
    )
    assert (bounded.cut, bounded.replaced) == (1, 0)


def test_a_bomb_stops_inflating_at_the_batch_limit_and_later_records_are_not_read() -> None:
    bomb = b"A" * 50_000_000  # gzip: about 50 KB
    data = batch([SMALL[0], bomb, SMALL[1], SMALL[2]], base_offset=100, codec=GZIP)
    assert len(data) < 100_000
    bounded = bound_batches(data, LIMITS)
    assert bounded.inflated <= LIMITS.max_inflated_batch_bytes
    records = parse(bounded.data)
    assert [r.offset for r in records] == [100, 101, 102, 103]
    assert records[0].value == SMALL[0]
    assert records[1].value == bomb[:100]
    length, _, why = cut(records[1]) or (0, b"", "")
    assert length == len(bomb)
    assert why.startswith("over the size limit")
    for unread in records[2:]:
        assert unread.value == b""
        assert cut(unread) is not None
        assert (
            "not read: the compressed batch inflates to more than 2,000,000 bytes"
            in (cut(unread) or (0, b"", ""))[2]
        )
    assert (bounded.cut, bounded.replaced) == (1, 2)


def test_an_over_large_uncompressed_record_is_cut_too() -> None:
    big = b"B" * 5_000
    bounded = bound_batches(batch([SMALL[0], big]), LIMITS)
    first, second = parse(bounded.data)
    assert first.value == SMALL[0]
    assert cut(first) is None
    assert second.value == big[:100]
    assert (cut(second) or (0,))[0] == 5_000


def test_other_codecs_and_corrupt_gzip_replace_every_record_of_the_batch() -> None:
    data = bytearray(batch(SMALL, base_offset=5, codec=GZIP))
    snappy = bytearray(data)
    snappy[22] = (snappy[22] & ~0x07) | 2  # attributes (int16 at 21): codec snappy
    records = parse(bound_batches(bytes(snappy), LIMITS).data)
    assert [r.offset for r in records] == [5, 6, 7]
    assert all("compressed with snappy" in (cut(r) or (0, b"", ""))[2] for r in records)
    corrupt = bytearray(data)
    corrupt[-20:] = b"\xff" * 20
    records = parse(bound_batches(bytes(corrupt), LIMITS).data)
    assert [r.offset for r in records] == [5, 6, 7]
    assert all(r.value == b"" or cut(r) is None for r in records)
    assert any("unreadable" in (cut(r) or (0, b"", ""))[2] for r in records)


def test_inflation_per_fetch_is_bounded_and_later_batches_wait_for_the_next_fetch() -> None:
    limits = Limits(1_000_000, 100, 2_000_000, 1_000_000)
    batches = [batch([b"C" * 600_000], base_offset=n, codec=GZIP) for n in range(5)]
    bounded = bound_batches(b"".join(batches), limits)
    assert bounded.deferred
    assert [r.offset for r in parse(bounded.data)] == [0, 1]
    assert bounded.inflated == 2 * len(gzip.decompress(batches[0][61:]))  # two, then stop


def test_a_partial_last_batch_is_left_for_aiokafka() -> None:
    whole = batch(SMALL, codec=GZIP)
    partial = batch(SMALL, base_offset=3, codec=GZIP)[:30]
    bounded = bound_batches(whole + partial, LIMITS)
    assert bounded.data.endswith(partial)
    assert [r.offset for r in parse(bounded.data)] == [0, 1, 2]


def test_the_cut_header_of_another_process_or_a_provider_is_not_taken() -> None:
    assert cut_of([("outcomes-cut-0000000000000000", b"1:00:x")]) is None
    assert CUT_HEADER.startswith("outcomes-cut-")
    assert CUT_HEADER != "outcomes-cut-"


sizes = st.lists(st.integers(0, 30_000), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    groups=st.lists(st.tuples(sizes, st.booleans()), min_size=1, max_size=4),
    record_limit=st.integers(50, 20_000),
    batch_limit=st.integers(1, 60_000),
)
def test_offsets_survive_and_every_record_is_whole_or_marked(
    groups: list[tuple[list[int], bool]], record_limit: int, batch_limit: int
) -> None:
    limits = Limits(record_limit, 64, batch_limit, 10**9)
    data = b""
    expected: list[tuple[int, bytes]] = []
    for sizes_, compressed in groups:
        values = [bytes([65 + n % 26]) * size for n, size in enumerate(sizes_)]
        data += batch(values, base_offset=len(expected), codec=GZIP if compressed else 0)
        expected += [(len(expected) + n, v) for n, v in enumerate(values)]
    records = parse(bound_batches(data, limits).data)
    assert [r.offset for r in records] == [offset for offset, _ in expected]
    for record, (_, value) in zip(records, expected, strict=True):
        assert record.value is not None
        marked = cut(record)
        if marked is None:
            assert record.value == value
        else:
            assert record.value == value[: len(record.value)]
            assert len(record.value) <= 64
            assert marked[0] in (len(value), 0)
        assert len(record.value) <= max(record_limit, 64)


def test_gzip_of_the_builder_is_what_brokers_store() -> None:
    data = batch([b"x" * 10], codec=GZIP)
    payload = data[61:]
    assert gzip.decompress(payload)  # a gzip member, as GzipFile.read() expects
