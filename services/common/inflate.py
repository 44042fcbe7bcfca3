"""Bounded decompression of fetched record batches: no batch can inflate without limit.

The broker checks its size limit (``max.message.bytes``) against a *compressed* batch, so
a gzip batch of 650 KB may hold a record of 734 MB. aiokafka decompresses a batch whole
(``gzip.GzipFile.read()``), with no hook to bound it. So the bytes of every partition
fetch pass through :func:`bound_batches` before aiokafka parses them (:func:`install`
puts it in front of the fetcher's ``MemoryRecords``). Pure: bytes in, bytes out.

For each record batch (message format v2) of the fetched bytes:

* a gzip batch is inflated incrementally, at most ``max_inflated_batch_bytes`` of it, and
  written back *uncompressed* (its CRC recomputed), so aiokafka never inflates it again;
* a record whose body is over ``max_record_bytes`` keeps only the first
  ``prefix_bytes`` of its value; the rest is inflated in chunks and dropped, never held;
* when the batch's inflated bytes reach the limit, the record being read is cut there
  and every later record of the batch is replaced by an empty one: offsets are kept
  (the batch header says how many records it has), nothing more is inflated;
* a batch compressed with another codec (snappy, lz4, zstd: none of them can be inflated
  in bounded steps here) or whose compressed data is corrupt has every record replaced by
  an empty one;
* once ``max_inflated_fetch_bytes`` have been inflated for one fetch, the later batches
  are left out; the consumer fetches them again from the next offset.

A record cut or replaced carries a header naming its full length, the SHA-256 of its
kept prefix and length (messages.bounded_digest; the rest is never hashed), and why. The
header's name holds a random token of this process, so a provider cannot forge one; the
runtime reads it with :func:`cut_of` and rejects the record ``invalid_schema`` from its
size alone (services/common/codec.py).
"""

from __future__ import annotations

import logging
import secrets
import struct
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.record.util import calc_crc32c, encode_varint

from services.common.messages import Cut, bounded_digest

log = logging.getLogger(__name__)

HEADER = struct.Struct(">qiibIhiqqqhii")
"""A v2 batch header: base offset, length, leader epoch, magic, CRC, attributes, last
offset delta, first and max timestamp, producer id and epoch, base sequence, records."""
LENGTH_END = 12  # base offset + length
CRC_AT = 17
ATTRIBUTES_AT = 21
CODEC_MASK = 0x07
CONTROL_FLAG = 0x20
GZIP = 1
CODEC_NAMES = {1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
_CHUNK = 64 * 1024
_TOKEN = secrets.token_hex(8)
CUT_HEADER = f"outcomes-cut-{_TOKEN}"
"""The header of a cut or replaced record (this process only: the token is random)."""


@dataclass(frozen=True)
class Limits:
    max_record_bytes: int
    """A record body (key, value, headers) over this keeps only a prefix of its value."""
    prefix_bytes: int
    """How much of the value of an over-large record is kept."""
    max_inflated_batch_bytes: int
    max_inflated_fetch_bytes: int


@dataclass
class Bounded:
    """What :func:`bound_batches` did to one fetch (for logs and metrics)."""

    data: bytes
    inflated: int = 0
    cut: int = 0
    replaced: int = 0
    deferred: bool = False


def cut_of(headers: Sequence[tuple[str, bytes]] | None) -> Cut | None:
    """The cut a record's header describes, or None (not cut by this process)."""
    for name, value in headers or ():
        if name == CUT_HEADER:
            length, digest, why = value.decode().split(":", 2)
            return Cut(int(length), bytes.fromhex(digest), why)
    return None


class _Exhausted(Exception):
    """The batch's inflated bytes reached the limit."""


class _Unreadable(Exception):
    """The compressed data is corrupt or ends before the records do."""


class _Source:
    """The record bytes of one batch, inflated on demand and never beyond ``budget``."""

    def __init__(self, payload: memoryview, compressed: bool, budget: int) -> None:
        self._payload = payload
        self._compressed = compressed
        self._budget = budget
        self._in = 0
        self._buffer = bytearray()
        self._inflater: Any = zlib.decompressobj(16 + zlib.MAX_WBITS) if compressed else None
        self.inflated = 0

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes (raises when they are not there or over the budget)."""
        self._fill(n)
        taken = bytes(self._buffer[:n])
        del self._buffer[:n]
        return taken

    def read_upto(self, n: int) -> bytes:
        """Up to ``n`` bytes, fewer if the budget runs out first (never raises for that)."""
        try:
            self._fill(n)
        except _Exhausted:
            n = min(n, len(self._buffer))
        taken = bytes(self._buffer[:n])
        del self._buffer[:n]
        return taken

    def skip(self, n: int) -> None:
        """Drop ``n`` bytes, inflating them a chunk at a time."""
        while n > 0:
            step = min(n, _CHUNK)
            self._fill(step)
            del self._buffer[:step]
            n -= step

    def varint(self) -> int:
        """A zigzag varint, as in every v2 record."""
        shift = result = 0
        for _ in range(10):
            byte = self.read(1)[0]
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)
            shift += 7
        raise _Unreadable("varint longer than 10 bytes")

    def _fill(self, n: int) -> None:
        while len(self._buffer) < n:
            if not self._compressed:
                if self._in >= len(self._payload):
                    raise _Unreadable("records end before the batch says")
                take = min(len(self._payload) - self._in, max(n, _CHUNK))
                self._buffer += self._payload[self._in : self._in + take]
                self._in += take
                continue
            self._inflate_some()

    def _inflate_some(self) -> None:
        room = self._budget - self.inflated
        if room <= 0:
            raise _Exhausted
        inflater = self._inflater
        if inflater.eof:
            rest = inflater.unused_data
            if not rest:
                raise _Unreadable("compressed data ends before the records do")
            self._inflater = inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # next member
            data = rest
        elif inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            if self._in >= len(self._payload):
                raise _Unreadable("compressed data ends before the records do")
            data = self._payload[self._in : self._in + _CHUNK]
            self._in += len(data)
        try:
            out = inflater.decompress(data, min(room, _CHUNK))
        except zlib.error as exc:
            raise _Unreadable(f"gzip data corrupt: {exc}") from None
        self.inflated += len(out)
        self._buffer += out


def _varint(value: int) -> bytes:
    out = bytearray()
    encode_varint(value, out.append)
    return bytes(out)


def _record(
    offset_delta: int,
    timestamp_delta: int,
    key: bytes | None,
    value: bytes,
    headers: Sequence[tuple[bytes, bytes]],
) -> bytes:
    body = bytearray(b"\x00")  # attributes
    body += _varint(timestamp_delta) + _varint(offset_delta)
    body += _varint(-1) if key is None else _varint(len(key)) + key
    body += _varint(len(value)) + value
    body += _varint(len(headers))
    for name, content in headers:
        body += _varint(len(name)) + name + _varint(len(content)) + content
    return _varint(len(body)) + bytes(body)


def _cut_header(length: int, prefix: bytes, why: str) -> tuple[bytes, bytes]:
    digest = bounded_digest(prefix, length).hex()
    return CUT_HEADER.encode(), f"{length}:{digest}:{why}".encode()


def _replaced(offset_delta: int, why: str) -> bytes:
    return _record(offset_delta, 0, None, b"", [_cut_header(0, b"", why)])


class _Rewrite:
    """The records of one batch rewritten uncompressed, over-large values cut."""

    def __init__(self, source: _Source, count: int, limits: Limits) -> None:
        self.source = source
        self.count = count
        self.limits = limits
        self.records: list[bytes] = []
        self.cut = 0
        self.replaced = 0
        self.next_delta = 0

    def run(self, why_unread: str) -> None:
        try:
            while len(self.records) < self.count:
                self._one()
        except (_Exhausted, _Unreadable) as exc:
            why = why_unread if isinstance(exc, _Exhausted) else f"unreadable: {exc}"
            while len(self.records) < self.count:
                self.records.append(_replaced(self.next_delta, why))
                self.replaced += 1
                self.next_delta += 1

    def _append(self, record: bytes, offset_delta: int) -> None:
        self.records.append(record)
        self.next_delta = offset_delta + 1

    def _one(self) -> None:
        """Copy (or cut) one record."""
        length = self.source.varint()
        if 0 <= length <= self.limits.max_record_bytes:
            body = self.source.read(length)
            self._append(_varint(length) + body, _offset_delta(body, self.next_delta))
        elif length < 0:
            raise _Unreadable("negative record length")
        else:
            self._cut(length)

    def _cut(self, length: int) -> None:
        """An over-large record: keep its head and a prefix of its value, drop the rest
        (inflated a chunk at a time; if the budget runs out meanwhile, run() replaces
        the later records)."""
        source = self.source
        head = source.read(1)  # attributes
        timestamp_delta = source.varint()
        offset_delta = source.varint()
        key_length = source.varint()
        key = None
        if key_length > self.limits.max_record_bytes:
            source.skip(key_length)
        elif key_length >= 0:
            key = source.read(key_length)
        value_length = max(source.varint(), 0)
        wanted = min(value_length, self.limits.prefix_bytes)
        prefix = source.read_upto(wanted)
        why = f"over the size limit: a record of {length:,} bytes"
        if len(prefix) < wanted:
            why += " (inflation stopped at MAX_INFLATED_BATCH_BYTES)"
        cut = _record(
            offset_delta, timestamp_delta, key, prefix, [_cut_header(value_length, prefix, why)]
        )
        self._append(cut, offset_delta)
        self.cut += 1
        read = len(head) + len(_varint(timestamp_delta)) + len(_varint(offset_delta))
        read += len(_varint(key_length)) + max(key_length, 0)
        read += len(_varint(value_length)) + len(prefix)
        source.skip(length - read)


def _offset_delta(body: bytes, fallback: int) -> int:
    """The offset delta of a record body (after attributes and timestamp delta)."""
    view = memoryview(body)
    _, pos = _varint_at(view, 1)
    delta, end = _varint_at(view, pos)
    return fallback if end > len(view) else delta


def _rebuilt(header: tuple[Any, ...], records: list[bytes]) -> bytes:
    """A batch with ``header``'s fields, uncompressed, holding ``records``."""
    fields = list(header)
    fields[5] &= ~CODEC_MASK  # attributes: no compression
    body = b"".join(records)
    fields[1] = HEADER.size - LENGTH_END + len(body)
    fields[4] = 0
    batch = bytearray(HEADER.pack(*fields) + body)
    struct.pack_into(">I", batch, CRC_AT, calc_crc32c(bytes(batch[ATTRIBUTES_AT:])))
    return bytes(batch)


def _scan(records: memoryview, count: int, limit: int) -> str:
    """``ok`` when ``records`` are exactly ``count`` records, none with a body over
    ``limit``; ``cut`` when one is over it; ``malformed`` otherwise. Reads only the length
    prefixes; copies nothing."""
    if len(records) <= limit and count >= 0:
        return "ok"  # no record can be longer than the whole (aiokafka checks the rest)
    pos = 0
    for _ in range(count):
        length, pos = _varint_at(records, pos)
        if pos > len(records) or length < 0:
            return "malformed"
        if length > limit:
            return "cut"
        pos += length
    return "ok" if pos == len(records) else "malformed"


def _inflate_whole(payload: memoryview, limit: int) -> bytes | None:
    """The whole inflated gzip member, if it is one member of at most ``limit`` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(payload, limit + 1)
    except zlib.error:
        return None
    if len(out) > limit or not inflater.eof or inflater.unused_data:
        return None
    return out


def _varint_at(data: memoryview, pos: int) -> tuple[int, int]:
    """The zigzag varint at ``pos`` and the position after it (-1 past the end)."""
    shift = result = 0
    while pos < len(data) and shift < 70:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
    return -1, len(data) + 1


def bound_batches(data: bytes, limits: Limits) -> Bounded:
    """``data`` (the record batches of one partition fetch) with every batch bounded."""
    view = memoryview(data)
    out: list[bytes | memoryview] = []
    result = Bounded(data)
    pos = 0
    changed = False
    while pos + HEADER.size <= len(view):
        header = HEADER.unpack_from(view, pos)
        end = pos + LENGTH_END + header[1]
        magic, attributes, count = header[3], header[5], header[12]
        if end > len(view) or magic != 2 or attributes & CONTROL_FLAG:
            break  # a partial last batch, an old format or a control batch: as it is
        if result.inflated >= limits.max_inflated_fetch_bytes and out:
            result.deferred = changed = True  # fetched again from the next offset
            pos = len(view)
            break
        codec = attributes & CODEC_MASK
        records = view[pos + HEADER.size : end]
        if codec == 0 and _scan(records, count, limits.max_record_bytes) != "cut":
            out.append(view[pos:end])  # (a malformed one: aiokafka reports it)
            pos = end
            continue
        changed = True
        whole = _inflate_whole(records, limits.max_inflated_batch_bytes) if codec == GZIP else None
        if whole is not None and _scan(memoryview(whole), count, limits.max_record_bytes) == "ok":
            result.inflated += len(whole)  # the usual case: one step, nothing to cut
            out.append(_rebuilt(header, [whole]))
            pos = end
            continue
        rewrite = _rewrite(records, codec, count, limits)
        result.inflated += rewrite.source.inflated
        result.cut += rewrite.cut
        result.replaced += rewrite.replaced
        out.append(_rebuilt(header, rewrite.records))
        pos = end
    if not changed:
        return result
    out.append(view[pos:])  # whatever follows, untouched
    result.data = b"".join(out)
    return result


def _rewrite(records: memoryview, codec: int, count: int, limits: Limits) -> _Rewrite:
    compressed = codec != 0
    source = _Source(records, compressed, limits.max_inflated_batch_bytes)
    rewrite = _Rewrite(source, count, limits)
    if codec not in (0, GZIP):
        name = CODEC_NAMES.get(codec, f"codec {codec}")
        why = f"compressed with {name}, which is not accepted: send gzip or uncompressed"
        rewrite.records = [_replaced(delta, why) for delta in range(count)]
        rewrite.replaced = count
        return rewrite
    why = (
        f"not read: the compressed batch inflates to more than"
        f" {limits.max_inflated_batch_bytes:,} bytes (MAX_INFLATED_BATCH_BYTES)"
    )
    rewrite.run(why)
    return rewrite


class _Rate:
    """At most one log line per ``seconds`` for one kind of event (the rest are counted)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last = -seconds
        self.suppressed = 0

    def allow(self, now: float) -> bool:
        if now - self.last < self.seconds:
            self.suppressed += 1
            return False
        self.last = now
        return True


_installed: list[Limits] = []


def install(limits: Limits) -> None:
    """Put :func:`bound_batches` in front of every partition fetch of aiokafka consumers
    in this process (aiokafka.consumer.fetcher builds its ``MemoryRecords`` from the
    fetched bytes; no public hook exists). Idempotent; the last limits apply."""
    from aiokafka.consumer import fetcher

    if _installed:
        _installed[0] = limits
        return
    _installed.append(limits)
    records = fetcher.MemoryRecords
    rate = _Rate(10.0)

    def bounded_records(data: bytes) -> Any:
        result = bound_batches(data, _installed[0])
        if (result.cut or result.replaced) and rate.allow(time.monotonic()):
            log.warning(
                "fetch bounded: %d records cut to a prefix, %d not read, %d bytes inflated"
                " (%d similar lines suppressed)",
                result.cut,
                result.replaced,
                result.inflated,
                rate.suppressed,
            )
            rate.suppressed = 0
        return records(result.data)

    fetcher.MemoryRecords = bounded_records
