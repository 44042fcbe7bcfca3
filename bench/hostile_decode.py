"""Decode cost of hostile values, as a ratio to a valid event of the same topic.

``python -m bench.hostile_decode [--repeat N]``: for each hostile shape (just under the
256 KiB limit where the shape can grow), the time ``services.common.codec.decode`` takes,
next to the time for one valid evidence event, measured in the same run. Each hostile
value must come back ``Undecodable``; the ratio shows that the work is bounded by the
message size (a 256 KiB value costs about what 256 KiB of valid JSON costs to scan).
"""

from __future__ import annotations

import argparse
import json
import time

from schemas.bounds import MAX_MESSAGE_BYTES
from schemas.topics import PROVIDER_EVIDENCE
from services.common.codec import Undecodable, decode
from services.common.messages import RawRecord

VALID = {
    "type": "evidence",
    "event_id": "3f1c2a7e-5b0d-4c8e-9a41-2d6f0b7c9e15",
    "produced_at": "2024-03-01T09:00:00Z",
    "provider_id": "prov-whp-central",
    "placement_id": "plc-1",
    "evidence_id": "evd-1",
    "kind": "payslip",
    "period_start": "2024-04-01",
    "period_end": "2024-04-30",
    "gross_earnings_pence": 150000,
    "hours_worked": "160.25",
    "reported_on": "2024-05-02",
}


def filled(prefix: bytes, filler: bytes, suffix: bytes) -> bytes:
    count = (MAX_MESSAGE_BYTES - len(prefix) - len(suffix)) // len(filler)
    return prefix + filler * count + suffix


def hostile() -> dict[str, bytes]:
    base = json.dumps(VALID).encode()
    return {
        "over the limit (800 kB)": b"x" * 800_000,
        "nesting 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        "arrays to the limit": filled(b"", b"[", b""),
        "integer of 256k digits": filled(b'{"type":"evidence","version":', b"9", b"}"),
        "hours of 256k digits": filled(b'{"type":"evidence","hours_worked":"', b"9", b'"}'),
        "hours 1E-999999999": base.replace(b'"160.25"', b'"1E-999999999"'),
        "money 10^30": base.replace(b"150000", b"1" + b"0" * 30),
        "256 KiB id": filled(b'{"type":"evidence","evidence_id":"', b"e", b'"}'),
        "256 KiB of escapes": filled(b'{"type":"evidence","borough":"', b"\\u0041", b'"}'),
        "43k unknown fields": filled(b'{"type":"evidence"', b',"k":1', b"}"),
        "NUL in an id": base.replace(b'"evd-1"', b'"evd\\u0000"'),
    }


def seconds(value: bytes, repeat: int) -> float:
    record = RawRecord(PROVIDER_EVIDENCE, PROVIDER_EVIDENCE.name, 0, 0, None, value)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        decode(record)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_decode", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    valid = json.dumps(VALID).encode()
    baseline = seconds(valid, args.repeat * 20)
    print(f"{'value':28} {'bytes':>9} {'seconds':>10} {'x valid':>9}")
    print(f"{'valid evidence (baseline)':28} {len(valid):>9,} {baseline:>10.6f} {1:>9.1f}")
    for name, value in hostile().items():
        record = RawRecord(PROVIDER_EVIDENCE, PROVIDER_EVIDENCE.name, 0, 0, None, value)
        assert isinstance(decode(record), Undecodable), name
        took = seconds(value, args.repeat)
        print(f"{name:28} {len(value):>9,} {took:>10.6f} {took / baseline:>9.1f}")


if __name__ == "__main__":
    main()
