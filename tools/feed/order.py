"""Arrival orders of a feed, and the one function that names the topic of an item.

- ``natural``: publication order (by business date; each person's events in order).
- ``reversed``: every evidence event first, then every job start and end, then intake
  (referrals, starts, leavers) - each topic in its own natural order.
- ``shuffled``: a seeded random interleaving of the topics, each topic in its own
  natural order.

Every order keeps the order of each topic and so of each key: the only order domain.md
§10 lets a result depend on (conflicting re-sends of one key).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Final, Literal

from schemas.topics import (
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    event_topic,
    provider_topic,
)
from tools.feed.generate import FeedItem

Order = Literal["natural", "reversed", "shuffled"]
ORDERS: Final[tuple[Order, ...]] = ("natural", "reversed", "shuffled")


def topic_name(item: FeedItem, namespace: str = "") -> str:
    """The broker topic ``item`` is published to (all feed publishing goes through here).

    Provider topics are per provider (``provider.<provider_id>.<kind>.v1``): an event
    goes to the topic of the provider it names, or of its ``sender`` when it has one.
    """
    if item.sender is not None:
        return provider_topic(item.topic, item.sender, namespace)
    return event_topic(item.topic, item.event, namespace)


def arrange(items: Sequence[FeedItem], order: Order, seed: int = 0) -> list[FeedItem]:
    """``items`` (natural order) in the arrival ``order``."""
    if order == "natural":
        return list(items)
    if order == "reversed":
        rank = {PROVIDER_EVIDENCE.name: 0, PROVIDER_PLACEMENTS.name: 1, PROVIDER_INTAKE.name: 2}
        return sorted(items, key=lambda item: rank[item.topic.name])  # stable: keeps order
    if order == "shuffled":
        streams: dict[str, list[FeedItem]] = {}
        for item in items:
            streams.setdefault(topic_name(item), []).append(item)
        rng = random.Random(seed)
        positions = dict.fromkeys(streams, 0)
        out: list[FeedItem] = []
        while len(out) < len(items):
            left = [name for name in streams if positions[name] < len(streams[name])]
            name = rng.choices(left, weights=[len(streams[n]) - positions[n] for n in left])[0]
            # Runs of a few events, so that whole stretches of a topic overtake others.
            for _ in range(rng.randint(1, 50)):
                if positions[name] == len(streams[name]):
                    break
                out.append(streams[name][positions[name]])
                positions[name] += 1
        return out
    raise ValueError(f"unknown order {order!r}; expected one of {', '.join(ORDERS)}")
