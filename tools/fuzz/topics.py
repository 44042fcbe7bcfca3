"""Every topic name the fuzz and chaos tools build goes through this module.

Provider topics are per provider (``provider.<provider_id>.<kind>.v1``) once the registry
offers ``schemas.topics.provider_topic``; until then the shared provider topics are used.
Switching is this one module.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas import topics as registry
from schemas.topics import ALL_TOPICS, REJECTIONS, TopicSpec, qualified

PROVIDER_SPECS: tuple[TopicSpec, ...] = tuple(t for t in ALL_TOPICS if t.owner == "providers")


def per_provider() -> bool:
    """Does the registry name provider topics per provider?"""
    return hasattr(registry, "provider_topic")


def provider_topic(spec: TopicSpec, provider_id: str, namespace: str) -> str:
    """The broker name of ``provider_id``'s topic of the kind ``spec``."""
    build = getattr(registry, "provider_topic", None)
    if build is not None:
        return str(build(spec, provider_id, namespace))
    return qualified(spec, namespace)


def rejection_topics(namespace: str, providers: Iterable[str]) -> list[str]:
    """Every topic a rejection may be published to: each service's and each provider's."""
    names = [qualified(spec, namespace) for spec in REJECTIONS.values()]
    build = getattr(registry, "provider_rejections_topic", None)
    if build is not None:
        names += [str(build(p, namespace)) for p in providers]
    return sorted(set(names))
