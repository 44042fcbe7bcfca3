"""Which topics a provider writes and reads, and which services consume them.

Per-provider topics (``provider.<id>.intake.v1``, ..., ``provider.<id>.rejections.v1``)
come from the topic registry (``schemas.topics``); this module only adds the CLI's view:
which event type goes to which kind of topic, and who consumes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from schemas.topics import (
    CONSUMERS,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    Owner,
    TopicSpec,
    provider_rejections_topic,
)
from schemas.topics import provider_topic as provider_topic

PROVIDER_KINDS: Final[tuple[TopicSpec, ...]] = (
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    PROVIDER_EVIDENCE,
)


def _type_of(model: Any) -> str:
    return str(model.model_fields["type"].default)


# Event type (the ``type`` field) -> the provider topic kind that carries it.
SPEC_BY_TYPE: Final[Mapping[str, TopicSpec]] = {
    _type_of(model): spec for spec in PROVIDER_KINDS for model in spec.models
}
MODEL_BY_TYPE: Final[Mapping[str, Any]] = {
    _type_of(model): model for spec in PROVIDER_KINDS for model in spec.models
}


def rejection_topics(provider_id: str, namespace: str = "") -> list[str]:
    """Where ``provider_id``'s rejections are: its own topic, written by every service."""
    return [provider_rejections_topic(provider_id, namespace)]


def consumers_of(spec: TopicSpec) -> list[Owner]:
    """The services whose consumer groups read topics of kind ``spec``."""
    return [service for service, inputs in CONSUMERS.items() if spec in inputs]
