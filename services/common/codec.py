"""Decoding of Kafka values into event models, and encoding back to JSON bytes."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from services.common.messages import RawRecord, Received


@dataclass(frozen=True)
class Undecodable:
    record: RawRecord
    message: str


def decode(record: RawRecord) -> Received | Undecodable:
    """Validate the value against the topic's models; explain the first errors if invalid."""
    try:
        event = record.spec.adapter.validate_json(record.value)
    except ValidationError as exc:
        return Undecodable(record, _explain(exc))
    return Received(record, event)


def _explain(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        location = ".".join(str(p) for p in error["loc"]) or "value"
        parts.append(f"{location}: {error['msg']}")
    more = exc.error_count() - len(parts)
    suffix = f" (+{more} more)" if more > 0 else ""
    return "; ".join(parts) + suffix


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()
