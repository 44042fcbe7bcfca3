"""Referral, placement and evidence ids are the sending provider's own (domain.md v3 §9).

Two providers may use the same id for different things, so such an entity is known by
``(provider_id, id)``: a :data:`ProviderKey` in storage, and ``<kind>:<provider_id>:<id>``
(:func:`release_key`) in what held inputs wait for. A provider id has no ``:``
(schemas/topics.py ``PROVIDER_ID``), so the text form is unambiguous. Tuples order by
provider first, as §9 breaks ties between two providers' ids.
"""

from __future__ import annotations

from typing import Literal

from services.common.holds import Entity, WaitFor, provider_wait_for

ProviderKey = tuple[str, str]
"""(provider_id, referral_id | placement_id | evidence_id)."""

ReleaseKind = Literal["referral", "started", "placement", "evidence"]


def release_key(kind: ReleaseKind, provider_id: str, entity_id: str) -> WaitFor:
    """What an input held for a provider's entity waits for, e.g.
    ``placement:prov-a:plc-1`` (released when that placement of that provider is known)."""
    return provider_wait_for(_ENTITIES[kind], provider_id, entity_id)


_ENTITIES: dict[str, Entity] = {entity.value: entity for entity in Entity}
"""Entities by name: a look-up, not the enum's constructor, on every event."""
