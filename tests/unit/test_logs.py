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
