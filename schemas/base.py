"""Base classes shared by every event model."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Event(BaseModel):
    """An immutable event: unknown fields are errors, types are strict.

    Every event has a globally unique ``event_id`` and the instant it was produced.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    event_id: UUID
    produced_at: AwareDatetime


class ProviderEvent(Event):
    """An event published by a provider; it always names the sender."""

    provider_id: str
