"""What bounding the inflation of fetched batches costs on valid traffic.

``python -m bench.bounded_inflate [--batches 500] [--records 50] [--repeat 3]``: the time
for aiokafka to read every record of a fetch of valid events as it is (the baseline), and
with ``services.common.inflate.bound_batches`` in front of it (what the services do), for
gzip batches and for uncompressed ones, as ratios measured in the same run. A gzip batch
is inflated by ``bound_batches`` in 64 KiB steps and handed on uncompressed, so aiokafka
no longer inflates it; an uncompressed batch is only scanned (record lengths) and left as
it is.
"""

from __future__ import annotations

import argparse
import json
import struct
import time
import uuid
from collections.abc import Callable

from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords

from schemas.bounds import MAX_INFLATED_BATCH_BYTES, MAX_INFLATED_FETCH_BYTES, MAX_MESSAGE_BYTES
from schemas.rejections import ORIGINAL_PREFIX_BYTES
from services.common.inflate import Limits, bound_batches

LIMITS = Limits(
    MAX_MESSAGE_BYTES + 16 * 1024,
    ORIGINAL_PREFIX_BYTES,
    MAX_INFLATED_BATCH_BYTES,
    10**12,  # one fetch of everything: no batch deferred
)
del MAX_INFLATED_FETCH_BYTES


def _event(n: int) -> bytes:
    return json.dumps(
        {
            "type": "evidence",
            "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(n))),
            "produced_at": "2024-03-01T09:00:00Z",
            "provider_id": "prov-whp-central",
            "placement_id": f"plc-{n % 997}",
            "evidence_id": f"evd-{n}",
            "kind": "payslip",
            "period_start": "2024-04-01",
            "period_end": "2024-04-30",
            "gross_earnings_pence": 150000 + n,
            "hours_worked": "160.25",
            "reported_on": "2024-05-02",
        }
    ).encode()


def fetch(batches: int, records: int, codec: int) -> bytes:
    out = b""
    for b in range(batches):
        builder = DefaultRecordBatchBuilder(2, codec, 0, -1, -1, -1, 2**31 - 1)
        for r in range(records):
            builder.append(r, 1_700_000_000_000, f"plc-{r}".encode(), _event(b * records + r), [])
        built = bytearray(builder.build())
        struct.pack_into(">q", built, 0, b * records)
        out += bytes(built)
    return out


def read_all(data: bytes) -> int:
    records = MemoryRecords(data)
    count = 0
    while records.has_next():
        batch = records.next_batch()
        assert batch is not None
        for _ in batch:
            count += 1
    return count


def timed(step: Callable[[], int], repeat: int) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(repeat):
        began = time.perf_counter()
        count = step()
        best = min(best, time.perf_counter() - began)
    return best, count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bounded_inflate", description=__doc__)
    parser.add_argument("--batches", type=int, default=500)
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    for name, codec in (("gzip", 1), ("uncompressed", 0)):
        data = fetch(args.batches, args.records, codec)
        base, n = timed(lambda data=data: read_all(data), args.repeat)  # type: ignore[misc]
        bounded, m = timed(
            lambda data=data: read_all(bound_batches(data, LIMITS).data),  # type: ignore[misc]
            args.repeat,
        )
        assert n == m == args.batches * args.records
        print(
            f"{name:13} {n:,} records ({len(data) / 1e6:.1f} MB fetched): aiokafka alone"
            f" {base * 1e3:7.1f} ms, bounded first {bounded * 1e3:7.1f} ms,"
            f" ratio {bounded / base:.2f}x"
        )


if __name__ == "__main__":
    main()
