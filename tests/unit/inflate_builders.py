"""Record batches as a broker returns them, built with aiokafka's own builder."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords

GZIP = 1


def batch(
    values: Sequence[bytes | None],
    *,
    base_offset: int = 0,
    codec: int = 0,
    keys: Sequence[bytes | None] | None = None,
) -> bytes:
    builder = DefaultRecordBatchBuilder(2, codec, 0, -1, -1, -1, 2**31 - 1)
    for delta, value in enumerate(values):
        key = keys[delta] if keys is not None else f"k{delta}".encode()
        builder.append(delta, 1_700_000_000_000 + delta, key, value, [])
    built = bytearray(builder.build())
    struct.pack_into(">q", built, 0, base_offset)
    return bytes(built)


@dataclass(frozen=True)
class Parsed:
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    compressed: bool


def parse(data: bytes) -> list[Parsed]:
    """Every record of ``data`` as aiokafka reads it; every batch's CRC checked."""
    records = MemoryRecords(data)
    out = []
    while records.has_next():
        next_batch = records.next_batch()
        assert next_batch is not None
        assert next_batch.validate_crc()
        compressed = bool(next_batch.compression_type)
        for record in next_batch:
            out.append(
                Parsed(
                    record.offset,
                    record.key,
                    record.value,
                    list(record.headers),
                    compressed,
                )
            )
    return out
