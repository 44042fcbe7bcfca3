"""Where did every hostile message go? Rejected (by source position), held, accepted, or
a duplicate no-op of the same content; anything else is unaccounted for."""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from schemas.topics import (
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    TopicSpec,
    provider_of,
)
from tools.fuzz.hostile import Message
from tools.fuzz.pipeline import Position, Record

CONSUMER: Mapping[str, str] = {
    PROVIDER_INTAKE.name: "intake",
    PROVIDER_PLACEMENTS.name: "placement",
    PROVIDER_EVIDENCE.name: "sustainment",
}


@dataclass(frozen=True)
class ServiceState:
    """What a provider topic's consuming service kept: inbox ids and held positions."""

    inbox: frozenset[str]
    held: frozenset[tuple[str, int, int]]


async def service_states(database_url: str) -> dict[str, ServiceState]:
    conn = await asyncpg.connect(database_url)
    states = {}
    try:
        for service in sorted(set(CONSUMER.values())):
            inbox = await conn.fetch(f'SELECT message_id FROM "{service}".inbox')
            held = await conn.fetch(f'SELECT topic, partition, "offset" FROM "{service}".held')
            states[service] = ServiceState(
                frozenset(r["message_id"] for r in inbox),
                frozenset((r["topic"], r["partition"], r["offset"]) for r in held),
            )
    finally:
        await conn.close()
    return states


def inbox_id(spec: TopicSpec, topic: str, event_id: str) -> str:
    """How the consuming service's inbox names an event of a provider's topic: with the
    provider (domain.md v3 §9, ``Received.message_id``)."""
    provider = provider_of(spec, topic)
    return event_id if provider is None else f"{provider}:{event_id}"


@dataclass(frozen=True)
class Rejected:
    reason: str
    original_len: int | None


def rejections_by_position(records: Sequence[Record]) -> dict[tuple[str, int, int], Rejected]:
    """Rejection events keyed by the source position they name (the first one wins)."""
    out: dict[tuple[str, int, int], Rejected] = {}
    for record in records:
        if record.value is None:
            continue
        try:
            event: dict[str, Any] = json.loads(record.value)
            where = (event["source_topic"], event["source_partition"], event["source_offset"])
        except (ValueError, KeyError, TypeError):
            continue
        if where in out:
            continue
        length = event.get("original_length")
        if length is None and isinstance(event.get("original_b64"), str):
            length = len(base64.b64decode(event["original_b64"]))
        out[where] = Rejected(str(event.get("reason")), length)
    return out


def _content(value: bytes | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class Accounting:
    sent: Counter[str] = field(default_factory=Counter)  # per provider topic kind
    refused_by_broker: int = 0
    rejected: Counter[str] = field(default_factory=Counter)  # by reason
    held: int = 0
    accepted: int = 0
    duplicates: int = 0
    unaccounted: Counter[str] = field(default_factory=Counter)  # "kind: what happened"
    kept_expected_rejection: Counter[str] = field(default_factory=Counter)
    rejected_expected_kept: Counter[str] = field(default_factory=Counter)
    valid_rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def total_sent(self) -> int:
        return sum(self.sent.values())

    @property
    def total_unaccounted(self) -> int:
        return sum(self.unaccounted.values())

    def lines(self) -> list[str]:
        out = [
            f"sent {self.total_sent:,} hostile messages ("
            + ", ".join(f"{k} {n:,}" for k, n in sorted(self.sent.items()))
            + f"); refused by the broker {self.refused_by_broker:,}",
            f"rejected {sum(self.rejected.values()):,}:",
            *[f"  {reason:<28}{n:>8,}" for reason, n in self.rejected.most_common()],
            f"held {self.held:,}   accepted {self.accepted:,}"
            f"   duplicate no-ops {self.duplicates:,}",
            f"UNACCOUNTED FOR {self.total_unaccounted:,}",
            *[f"  {what:<60}{n:>8,}" for what, n in self.unaccounted.most_common()],
        ]
        if self.kept_expected_rejection:
            out.append("accepted or held although a rejection was expected (by kind):")
            for k, n in self.kept_expected_rejection.most_common():
                out.append(f"  {k:<60}{n:>8,}")
                out.append(f"    e.g. {self.examples.get(k, '')[:160]!r}")
        if self.rejected_expected_kept:
            out.append("rejected although they should be accepted or held (kind: reason):")
            out += [f"  {k:<60}{n:>8,}" for k, n in self.rejected_expected_kept.most_common()]
        if self.valid_rejected:
            out.append("valid feed messages rejected (reason):")
            out += [f"  {k:<60}{n:>8,}" for k, n in self.valid_rejected.most_common()]
        return out


def spec_kind(spec: TopicSpec) -> str:
    return spec.name.split(".")[1]


def account(
    messages: Sequence[Message],
    positions: Sequence[Position | None],
    rejections: Mapping[tuple[str, int, int], Rejected],
    states: Mapping[str, ServiceState],
) -> Accounting:
    """Classify every hostile message of ``messages`` (published at ``positions``)."""
    result = Accounting()
    # Every message not rejected, grouped by event_id: one content, or some were dropped.
    kept_contents: dict[str, list[Any]] = defaultdict(list)
    for message, position in zip(messages, positions, strict=True):
        if position is None:
            continue
        where = (position.topic, position.partition, position.offset)
        event_id = _event_id(message)
        if where in rejections:
            if message.hostile is None:
                result.valid_rejected[rejections[where].reason] += 1
            continue
        if event_id is not None:
            kept_contents[event_id].append(_content(message.value))
    seen_once: set[str] = set()
    for message, position in zip(messages, positions, strict=True):
        h = message.hostile
        if h is None:
            if position is not None and (event_id := _event_id(message)) is not None:
                seen_once.add(event_id)
            continue
        if position is None:
            result.refused_by_broker += 1
            continue
        result.sent[spec_kind(h.spec)] += 1
        where = (position.topic, position.partition, position.offset)
        state = states[CONSUMER[h.spec.name]]
        rejected = rejections.get(where)
        if rejected is not None:
            result.rejected[rejected.reason] += 1
            if h.expect == "keep":
                result.rejected_expected_kept[f"{h.kind}: {rejected.reason}"] += 1
            continue
        claimed = None if h.event_id is None else inbox_id(h.spec, position.topic, h.event_id)
        if where not in state.held and (claimed is None or claimed not in state.inbox):
            result.unaccounted[f"{h.kind}: neither rejected, held nor processed"] += 1
            continue
        if h.expect == "reject":
            result.kept_expected_rejection[h.kind] += 1
            result.examples.setdefault(h.kind, (h.value or b"")[:300].decode(errors="replace"))
        if where in state.held or h.event_id is None:
            result.held += 1
            continue
        # The first kept message of an event_id (the valid original, published first,
        # or the first hostile one) is what the service kept; others must equal it.
        if _content(h.value) != kept_contents[h.event_id][0]:
            result.unaccounted[f"{h.kind}: same event_id, other content, no rejection"] += 1
            continue
        if h.event_id in seen_once:
            result.duplicates += 1
        else:
            result.accepted += 1
            seen_once.add(h.event_id)
    return result


def _event_id(message: Message) -> str | None:
    if message.hostile is not None:
        return message.hostile.event_id
    content = _content(message.value)
    if isinstance(content, dict) and isinstance(content.get("event_id"), str):
        return str(content["event_id"])
    return None
