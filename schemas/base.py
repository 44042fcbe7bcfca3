"""Base classes shared by every event model."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.bounds import BoundedInstant, ProviderId


def _type_is_required(schema: dict[str, Any]) -> None:
    """JSON Schema: ``type`` names the event and must be sent, although Python fills it."""
    required = schema.setdefault("required", [])
    if "type" in schema.get("properties", {}) and "type" not in required:
        required.insert(0, "type")


class Event(BaseModel):
    """An immutable event: unknown fields are errors, types are strict.

    Every event has a globally unique ``event_id`` and the instant it was produced.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, json_schema_extra=_type_is_required
    )

    event_id: UUID = Field(description="Globally unique id of this event (UUID)")
    produced_at: BoundedInstant


class ProviderEvent(Event):
    """An event published by a provider; it always names the sender."""

    provider_id: ProviderId
