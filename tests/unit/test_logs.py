"""Structured JSON logs: one object per line, record positions, no personal data."""

from __future__ import annotations

import io
import json
import logging

from schemas.topics import PROVIDER_INTAKE
from services.common import logs
from services.common.messages import RawRecord


def emit(*args: object, **kwargs: object) -> dict[str, object]:
    stream = io.StringIO()
    logger = logging.getLogger("test-logs")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter("intake"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(*args, **kwargs)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
    [line] = stream.getvalue().splitlines()
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_one_json_object_per_line_with_service_and_record_position() -> None:
    record = RawRecord(PROVIDER_INTAKE, "provider.intake.v1", 2, 17, b"k", b"{}")

    entry = emit(
        "record failed\nsecond line", extra=logs.record_context(record, event_id="abc-123")
    )

    assert entry["service"] == "intake"
    assert entry["level"] == "warning"
    assert entry["message"] == "record failed\nsecond line"
    assert (entry["topic"], entry["partition"], entry["offset"]) == ("provider.intake.v1", 2, 17)
    assert entry["event_id"] == "abc-123"


def test_nino_and_date_of_birth_values_never_reach_the_log() -> None:
    entry = emit(
        "bad referral %r",
        {"nino": "QQ 12 34 56 C", "date_of_birth": "1990-01-31", "other": "AB123456D"},
    )
    text = json.dumps(entry)

    for secret in ("QQ 12 34 56 C", "1990-01-31", "AB123456D"):
        assert secret not in text
    assert "[nino]" in text
    assert "[redacted]" in text


def test_pydantic_input_values_are_redacted_in_exceptions() -> None:
    try:
        raise ValueError("1 validation error\n  input_value='1984-02-30', input_type=str")
    except ValueError:
        entry = emit("failed", exc_info=True)

    assert "1984-02-30" not in json.dumps(entry)
    assert "input_value=[redacted]" in str(entry["exception"])


def test_ids_and_hashes_are_not_mistaken_for_ninos() -> None:
    text = "event 5b0c6a52-7d7e-4d38-9a3e-1f0de4c0a001 sha256 ab12345612ab12345c offset 123456"

    assert logs.redact(text) == text


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _lines(limiter: logs.RepeatLimiter, records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if limiter.filter(r)]


def _record(message: str, *args: object, name: str = "asyncio") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, None)


def test_identical_lines_beyond_the_burst_are_dropped_and_counted_in_the_next_window() -> None:
    clock = _Clock()
    limiter = logs.RepeatLimiter(burst=3, window=60.0, clock=clock)
    spin = [_record("Exception in callback %s", "_write_ready") for _ in range(1000)]
    assert len(_lines(limiter, spin)) == 3
    clock.now = 60.0
    assert _lines(limiter, [_record("Exception in callback %s", "_write_ready")]) == [
        "Exception in callback _write_ready (997 identical lines dropped in 60s)"
    ]


def test_lines_that_differ_are_never_dropped() -> None:
    limiter = logs.RepeatLimiter(burst=3, window=60.0, clock=_Clock())
    different = [_record("rejected at offset %d", n) for n in range(100)]
    assert len(_lines(limiter, different)) == 100
    other_logger = [_record("same", name=f"logger-{n}") for n in range(10)]
    assert len(_lines(limiter, other_logger)) == 10


def test_the_limiter_forgets_the_oldest_line_beyond_its_capacity() -> None:
    limiter = logs.RepeatLimiter(burst=1, window=60.0, clock=_Clock())
    many = [_record("line %d", n) for n in range(logs.RepeatLimiter.MAX_KEYS + 10)]
    assert len(_lines(limiter, many)) == len(many)
    assert len(limiter._seen) == logs.RepeatLimiter.MAX_KEYS


def test_lines_about_different_records_are_not_identical() -> None:
    limiter = logs.RepeatLimiter(burst=3, window=60.0, clock=_Clock())
    records = []
    for offset in range(50):
        record = _record("rejected: %s", "invalid_schema")
        record.offset = offset
        records.append(record)
    assert len(_lines(limiter, records)) == 50
