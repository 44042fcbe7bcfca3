"""Who sent a record: the provider topic it was read from, never what its JSON claims."""

from __future__ import annotations

from schemas.base import Event
from services.common.messages import Received


def provider_mismatch(item: Received[Event]) -> str | None:
    """Why ``item`` is ``provider_mismatch``, or None when its claim matches its topic.

    A record from ``provider.X.*`` must say ``provider_id`` X; records of internal topics
    are not checked here (their writers are services).
    """
    topic_provider = item.record.provider_id
    if topic_provider is None:
        return None
    claimed = getattr(item.event, "provider_id", None)
    if claimed == topic_provider:
        return None
    return (
        f"provider_id {claimed!r} differs from the provider of topic"
        f" {item.record.topic!r} ({topic_provider!r})"
    )
