"""Status of what a provider sent: pure classification and wording (no I/O)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from outcomes_cli.publish import Sent
from schemas.rejections import EventRejected

Position = tuple[str, int, int]  # topic, partition, offset

_WAITING: dict[str | tuple[str, str], str] = {
    (
        "placement",
        "referral",
    ): "waiting for referral {} to be started (referral and programme start)",
    ("placement", "placement"): "waiting for job start {}",
    "referral": "waiting for referral {}",
    "started": "waiting for the programme start of referral {}",
    "participant": "waiting for participant {} to start",
    "placement": "waiting for placement (job start) {}",
    "evidence": "waiting for evidence {}",
}

_PROVIDER_SCOPED = frozenset({"referral", "started", "placement", "evidence"})
"""Kinds whose keys name the provider too (services/common/provider_keys.py, v3 §9)."""


@dataclass(frozen=True)
class Held:
    """An event a service keeps until what it refers to arrives."""

    service: str
    message_id: str
    topic: str
    partition: int
    offset: int
    waiting_for: str
    value: bytes
    held_at: str

    @property
    def position(self) -> Position:
        return (self.topic, self.partition, self.offset)

    def why(self) -> str:
        kind, _, ident = self.waiting_for.partition(":")
        if kind in _PROVIDER_SCOPED:  # <kind>:<provider_id>:<id>: the provider is the reader
            ident = ident.partition(":")[2] or ident
        wording = _WAITING.get((self.service, kind)) or _WAITING.get(kind, "waiting for {}")
        return wording.format(ident or self.waiting_for)

    def describe(self) -> str:
        try:
            event: Any = json.loads(self.value)
            what = f"{event.get('type', '?')} {event.get('event_id', '')}"
        except (ValueError, AttributeError):
            what = f"{self.topic}[{self.partition}]@{self.offset}"
        return f"{what}: {self.why()} (held by {self.service} since {self.held_at})"


@dataclass(frozen=True)
class EventStatus:
    sent: Sent
    state: str  # accepted | rejected | held
    detail: str


def classify(
    sent: Iterable[Sent],
    rejections: Iterable[EventRejected],
    held: Iterable[Held] | None,
) -> list[EventStatus]:
    """Each processed event: rejected (reason), held (why), else accepted. An event is
    found by its position or by its event_id (a re-sent copy is a no-op for the services:
    what happened to the first copy is what counts). ``held`` None: not known (no
    database access), so an event not rejected is "accepted or held"."""
    rejected: dict[Position | str, EventRejected] = {}
    for r in rejections:
        rejected[(r.source_topic, r.source_partition, r.source_offset)] = r
        if r.source_event_id is not None:
            rejected.setdefault(r.source_event_id, r)
    waiting: dict[Position | str, Held] = {}
    for h in held or ():
        waiting[h.position] = waiting[h.message_id] = h
    otherwise = "accepted" if held is not None else "accepted or held"
    out = []
    for s in sent:
        position = (s.topic, s.partition, s.offset)
        why_rejected = rejected.get(position, rejected.get(s.event_id))
        why_held = waiting.get(position, waiting.get(inbox_name(s)))
        if why_rejected is not None:
            detail = f"{why_rejected.reason.value}: {why_rejected.message}"
            out.append(EventStatus(s, "rejected", detail))
        elif why_held is not None:
            out.append(EventStatus(s, "held", why_held.why()))
        else:
            out.append(EventStatus(s, otherwise, ""))
    return out


def inbox_name(sent: Sent) -> str:
    """How the services' inbox and hold name a sent event: with the provider of its topic
    (``<namespace>provider.<provider_id>.<kind>.v1``; domain.md v3 §9)."""
    return f"{sent.topic.split('.')[-3]}:{sent.event_id}"


def format_statuses(statuses: list[EventStatus]) -> list[str]:
    counts = Counter(s.state for s in statuses)
    if counts["accepted or held"]:
        out = [
            f"{len(statuses):,} events processed: {counts['rejected']:,} rejected, "
            f"{counts['accepted or held']:,} accepted or held (no database access to tell)"
        ]
    else:
        out = [
            f"{len(statuses):,} events processed: {counts['accepted']:,} accepted, "
            f"{counts['rejected']:,} rejected, {counts['held']:,} held"
        ]
    for state in ("rejected", "held"):
        rows = [s for s in statuses if s.state == state]
        if rows:
            out.append(f"{state}:")
            out += [
                f"  line {s.sent.line}: {s.sent.type} {s.sent.key} ({s.sent.event_id}) — {s.detail}"
                for s in rows
            ]
    return out


def format_backlog(behind: Mapping[str, int]) -> str:
    parts = [f"{service} {n:,}" for service, n in sorted(behind.items()) if n]
    return "records not yet processed: " + (", ".join(parts) if parts else "none")
