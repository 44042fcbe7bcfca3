"""Compression bombs: small compressed record batches that inflate to huge records.

A bomb is one record batch built by hand (message format v2, gzip or zstd), sent with a raw
produce request: the value is ``{"event_id": "...", "pad": "AAAA..."}`` of ``length``
bytes, compressed as a stream, so building a 700 MB bomb never holds 700 MB. Kinds:

* ``record``: one record of ``length`` bytes (the broker sees ~``length / 1000`` bytes);
* ``many``: up to 400 records each just under the services' size limit (each is fine
  alone; together the batch inflates past the batch limit);
* ``tail``: a small valid-looking record, the bomb, then small records behind it in the
  same batch (they are never read: rejected too);
* ``zstd``: a small record and the bomb compressed with zstd (run-length blocks, built
  by hand), a codec the services' client cannot read at all: the broker accepts it.

Every record of a bomb must come back as an ``invalid_schema`` rejection at its offset.
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.produce import ProduceRequest
from aiokafka.record.util import calc_crc32c, encode_varint

from deploy.local import client_security
from schemas.topics import PROVIDER_KINDS, TopicSpec, provider_topic
from tools.fuzz.account import Rejected
from tools.fuzz.pipeline import Position

GZIP = 1
ZSTD = 4
MB = 1024 * 1024
MANY_RECORDS = 400
"""Records of a ``many`` bomb: ~100 MB inflated, ~100 KB compressed (each record costs
its own few hundred compressed bytes, so more would not fit a provider topic's limit)."""
_CHUNK = MB
_HEADER = struct.Struct(">qiibIhiqqqhii")


@dataclass(frozen=True)
class Bomb:
    kind: str
    spec: TopicSpec
    provider_id: str
    batch: bytes
    records: int
    inflated: int
    """Bytes the batch's records inflate to."""


def _varint(value: int) -> bytes:
    out = bytearray()
    encode_varint(value, out.append)
    return bytes(out)


def _record_parts(delta: int, key: bytes, value_length: int) -> tuple[bytes, bytes]:
    """The bytes of a record before and after its value (the value is streamed)."""
    head = b"\x00" + _varint(0) + _varint(delta) + _varint(len(key)) + key
    head += _varint(value_length)
    tail = _varint(0)  # no headers
    body_length = len(head) + value_length + len(tail)
    return _varint(body_length) + head, tail


def _value_parts(length: int, seed: str) -> tuple[bytes, int, bytes]:
    """``{"event_id": "<uuid>", "pad": "AAA..."}`` of exactly ``length`` bytes: its
    start, how many ``A`` follow, its end."""
    start = json.dumps({"event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, seed))})[:-1]
    head = (start + ', "pad": "').encode()
    end = b'"}'
    pad = length - len(head) - len(end)
    assert pad >= 0, length
    return head, pad, end


class _GzipStream:
    """A gzip member written piece by piece. A run of ``A`` is deflated once per MiB and
    the compressed block repeated (each block ends with a full flush, so it stands alone):
    a 2 GB value costs a second, not a minute."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.out = bytearray(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        self.crc = 0
        self.size = 0
        self._block = self._deflate.compress(b"A" * _CHUNK) + self._deflate.flush(zlib.Z_FULL_FLUSH)
        self._block_crc = zlib.crc32(b"A" * _CHUNK)

    def write(self, data: bytes) -> None:
        self.out += self._deflate.compress(data) + self._deflate.flush(zlib.Z_FULL_FLUSH)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)

    def write_a(self, count: int) -> None:
        whole, rest = divmod(count, _CHUNK)
        chunk = b"A" * _CHUNK
        for _ in range(whole):
            self.out += self._block
            self.crc = zlib.crc32(chunk, self.crc)
        self.size += whole * _CHUNK
        self.write(b"A" * rest)

    def finish(self) -> bytes:
        self.out += self._deflate.flush(zlib.Z_FINISH)
        self.out += struct.pack("<II", self.crc, self.size & 0xFFFFFFFF)
        return bytes(self.out)


class _ZstdStream:
    """A zstd frame of raw blocks and run-length blocks (RFC 8878 §3.1.1.2): a run of
    ``A`` costs 4 bytes per 128 KiB, about 32,000:1. No zstd library is needed."""

    BLOCK = 128 * 1024
    RAW, RLE = 0, 1

    def __init__(self) -> None:
        self.blocks: list[tuple[int, int, bytes]] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        for start in range(0, len(data), self.BLOCK):
            chunk = data[start : start + self.BLOCK]
            self.blocks.append((self.RAW, len(chunk), chunk))
        self.size += len(data)

    def write_a(self, count: int) -> None:
        self.size += count
        while count > 0:
            step = min(count, self.BLOCK)
            self.blocks.append((self.RLE, step, b"A"))
            count -= step

    def finish(self) -> bytes:
        # magic; frame header: no content size, no checksum; window 1 MiB (log 20)
        out = bytearray(b"\x28\xb5\x2f\xfd\x00\x50")
        for n, (kind, size, content) in enumerate(self.blocks):
            last = 1 if n == len(self.blocks) - 1 else 0
            out += (last | kind << 1 | size << 3).to_bytes(3, "little") + content
        return bytes(out)


def zstd_batch(values: Sequence[tuple[int, str]]) -> tuple[bytes, int]:
    """As :func:`gzip_batch`, compressed with zstd (a codec the services do not read)."""
    stream = _ZstdStream()
    for delta, (length, seed) in enumerate(values):
        head, tail = _record_parts(delta, f"bomb-{delta}".encode(), length)
        start, pad, end = _value_parts(length, seed)
        stream.write(head + start)
        stream.write_a(pad)
        stream.write(end + tail)
    return _batch(stream.finish(), ZSTD, len(values)), stream.size


def _batch(compressed: bytes, codec: int, count: int) -> bytes:
    fields = [0, 0, -1, 2, 0, codec, count - 1, 0, 0, -1, -1, -1, count]
    fields[1] = _HEADER.size - 12 + len(compressed)
    batch = bytearray(_HEADER.pack(*fields)) + compressed
    struct.pack_into(">I", batch, 17, calc_crc32c(bytes(batch[21:])))
    return bytes(batch)


def gzip_batch(values: Sequence[tuple[int, str]]) -> tuple[bytes, int]:
    """A gzip batch of records with values of the given (length, seed); also the bytes
    its records inflate to."""
    stream = _GzipStream()
    for delta, (length, seed) in enumerate(values):
        head, tail = _record_parts(delta, f"bomb-{delta}".encode(), length)
        start, pad, end = _value_parts(length, seed)
        stream.write(head + start)
        stream.write_a(pad)
        stream.write(end + tail)
    return _batch(stream.finish(), GZIP, len(values)), stream.size


def make_bombs(
    provider_ids: Sequence[str], size: int, record_limit: int, *, tag: str = "bomb"
) -> list[Bomb]:
    """A bomb of each kind to each provider topic kind, providers taken in turn."""
    bombs = []
    n = 0
    for spec in PROVIDER_KINDS:
        for kind in ("record", "many", "tail", "zstd"):
            provider = provider_ids[n % len(provider_ids)]
            seed = f"{tag}-{spec.name}-{kind}-{n}"
            if kind == "record":
                values = [(size, seed)]
            elif kind == "many":
                each = record_limit - 1024
                count = min(max(2, size // each), MANY_RECORDS)
                values = [(each, f"{seed}-{i}") for i in range(count)]
            elif kind == "tail":
                values = [(200, f"{seed}-a"), (size, seed), (200, f"{seed}-b"), (200, f"{seed}-c")]
            else:
                values = [(200, f"{seed}-a"), (size, seed)]
            batch, inflated = zstd_batch(values) if kind == "zstd" else gzip_batch(values)
            bombs.append(Bomb(kind, spec, provider, batch, len(values), inflated))
            n += 1
    return bombs


async def send_bombs(
    bootstrap: str, bombs: Sequence[Bomb], namespace: str
) -> list[list[Position] | None]:
    """Produce each bomb's batch as it is (raw produce request, acks=all); where each of
    its records landed, or None when the broker refused the batch."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, **client_security())
    await client.bootstrap()
    landed: list[list[Position] | None] = []
    try:
        for bomb in bombs:
            topic = provider_topic(bomb.spec, bomb.provider_id, namespace)
            partition = 0
            await client._wait_on_metadata(topic)
            node = client.cluster.leader_for_partition(TopicPartition(topic, partition))
            request = ProduceRequest(None, -1, 30_000, [(topic, [(partition, bomb.batch)])])
            response = await client.send(node, request)
            info = response.topics[0][1][0]
            error, base = info[1], info[2]
            if error:
                landed.append(None)
                print(f"bomb {bomb.kind} to {topic}: refused by the broker: {for_code(error)}")
                continue
            landed.append([Position(topic, partition, base + i) for i in range(bomb.records)])
    finally:
        await client.close()
    return landed


@dataclass
class BombAccount:
    """Every record of every bomb: rejected ``invalid_schema`` at its offset, or not."""

    batches: int = 0
    refused_by_broker: int = 0
    records: int = 0
    inflated: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    unaccounted: list[str] = field(default_factory=list)

    @property
    def all_rejected(self) -> bool:
        return not self.unaccounted and set(self.reasons) <= {"invalid_schema"}

    def lines(self) -> list[str]:
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(self.reasons.items())) or "none"
        out = [
            f"bombs: {self.batches} batches ({self.inflated / MB:,.0f} MB inflated,"
            f" {self.records:,} records); refused by the broker {self.refused_by_broker};"
            f" rejections: {reasons}; unaccounted {len(self.unaccounted)}"
        ]
        out += [f"  unaccounted: {u}" for u in self.unaccounted[:10]]
        return out


def account_bombs(
    bombs: Sequence[Bomb],
    landed: Sequence[list[Position] | None],
    rejections: Mapping[tuple[str, int, int], Rejected],
) -> BombAccount:
    result = BombAccount()
    for bomb, positions in zip(bombs, landed, strict=True):
        result.batches += 1
        if positions is None:
            result.refused_by_broker += 1
            continue
        result.inflated += bomb.inflated
        for position in positions:
            result.records += 1
            rejected = rejections.get((position.topic, position.partition, position.offset))
            if rejected is None:
                result.unaccounted.append(
                    f"{bomb.kind} bomb record at {position.topic}[{position.partition}]"
                    f"@{position.offset}: no rejection"
                )
                continue
            result.reasons[rejected.reason] += 1
    return result
