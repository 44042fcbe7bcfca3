"""Which topics a provider writes and reads, and which services consume them.

Per-provider topics (``provider.<id>.intake.v1``, ..., ``provider.<id>.rejections.v1``)
come from the topic registry once it has ``provider_topic`` / ``provider_rejections_topic``;
until then the shared provider topics and the services' rejection topics are used. The
switch is made here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, cast

import schemas.topics as registry
from schemas.topics import (
    CONSUMERS,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    REJECTIONS,
    Owner,
    TopicSpec,
)

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


def _registry_function(name: str) -> Callable[..., Any] | None:
    return cast("Callable[..., Any] | None", getattr(registry, name, None))


def provider_topic(spec: TopicSpec, provider_id: str, namespace: str = "") -> str:
    """The broker name of ``provider_id``'s topic of kind ``spec``."""
    build = _registry_function("provider_topic")
    if build is not None:
        return str(build(spec, provider_id, namespace))
    return registry.qualified(spec, namespace)


def per_provider_rejections() -> bool:
    return _registry_function("provider_rejections_topic") is not None


def rejection_topics(provider_id: str, namespace: str = "") -> list[str]:
    """Where ``provider_id``'s rejections are: its own topic, or (before per-provider
    topics) the services' rejection topics, to be filtered by :func:`is_for_provider`."""
    build = _registry_function("provider_rejections_topic")
    if build is not None:
        return [str(build(provider_id, namespace))]
    return [registry.qualified(spec, namespace) for spec in REJECTIONS.values()]


def is_for_provider(rejection: Any, provider_id: str, own_topics: set[str]) -> bool:
    """True when a decoded rejection concerns ``provider_id`` (trivially so on its own topic)."""
    if per_provider_rejections():
        return True
    return bool(rejection.provider_id == provider_id or rejection.source_topic in own_topics)


def consumers_of(spec: TopicSpec) -> list[Owner]:
    """The services whose consumer groups read topics of kind ``spec``."""
    return [service for service, inputs in CONSUMERS.items() if spec in inputs]
