"""A batch of output events, sorted by kind for the read model's writes (pure).

Writes go kind by kind in the order of ``Batch`` fields: what creates a row (a start, a
confirmation) before what updates it (a leaver, a job end), which is also the order in
which one entity's events travel on its topic.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from schemas.bounds import ID_MAX
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.rejections import EventRejected
from schemas.sustainment import (
    EvidenceProgress,
    EvidenceRecorded,
    EvidenceRemoved,
    MilestoneReached,
    MilestoneRevoked,
)
from services.views.notify import Change

ORIGINAL_FIELDS: Final = ("type", "referral_id", "placement_id", "evidence_id")
"""What a rejection's masked original is read for: which participant it belongs to."""
TYPE_MAX: Final = 64


@dataclass
class Batch:
    started: list[ParticipantStarted] = field(default_factory=list)
    left: list[ParticipantLeft] = field(default_factory=list)
    displaced: list[ParticipantDisplaced] = field(default_factory=list)
    confirmed: list[PlacementConfirmed] = field(default_factory=list)
    ended: list[PlacementEnded] = field(default_factory=list)
    withdrawn: list[PlacementWithdrawn] = field(default_factory=list)
    recorded: list[EvidenceRecorded] = field(default_factory=list)
    removed: list[EvidenceRemoved] = field(default_factory=list)
    progress: dict[tuple[str, str], EvidenceProgress] = field(default_factory=dict)
    """The last progress of each participant in the batch (topic order)."""
    reached: list[MilestoneReached] = field(default_factory=list)
    revoked: list[MilestoneRevoked] = field(default_factory=list)
    not_paid: list[MilestoneNotPaid] = field(default_factory=list)
    payments: list[ProviderPaymentIssued] = field(default_factory=list)
    rejections: list[tuple[EventRejected, dict[str, str | None]]] = field(default_factory=list)
    changes: set[Change] = field(default_factory=set)

    def add(self, event: Any) -> None:
        self._file(event)
        provider = getattr(event, "provider_id", None)
        participant = getattr(event, "participant_id", None)
        if isinstance(provider, str):
            self.changes.add(Change(provider, participant))

    def _file(self, event: Any) -> None:
        simple: dict[type, list[Any]] = {
            ParticipantStarted: self.started,
            ParticipantLeft: self.left,
            ParticipantDisplaced: self.displaced,
            PlacementConfirmed: self.confirmed,
            PlacementEnded: self.ended,
            PlacementWithdrawn: self.withdrawn,
            EvidenceRecorded: self.recorded,
            EvidenceRemoved: self.removed,
            MilestoneReached: self.reached,
            MilestoneRevoked: self.revoked,
            MilestoneNotPaid: self.not_paid,
            ProviderPaymentIssued: self.payments,
        }
        if isinstance(event, EvidenceProgress):
            self.progress[(event.provider_id, event.participant_id)] = event
        elif isinstance(event, EventRejected):
            self.rejections.append((event, original_ids(event.original_prefix_b64)))
        else:
            simple[type(event)].append(event)

    def participants(self) -> list[tuple[str, str]]:
        """The participants whose facts changed (named ones only)."""
        return sorted({(c.provider_id, c.participant_id) for c in self.changes if c.participant_id})


def batch_of(events: Iterable[Any]) -> Batch:
    batch = Batch()
    for event in events:
        batch.add(event)
    return batch


def original_ids(prefix_b64: str) -> dict[str, str | None]:
    """The type and ids named by a rejected original, when its (masked, possibly cut)
    prefix is a JSON object; only short printable strings are taken (a hostile original
    may name a ``referral_id`` with a NUL, which no text column can hold, or nest arrays
    deeper than the parser goes: either used to fail the whole batch)."""
    try:
        value = json.loads(base64.b64decode(prefix_b64, validate=True))
    except (ValueError, binascii.Error, RecursionError):
        return {}
    if not isinstance(value, dict):
        return {}
    found: dict[str, str | None] = {}
    for name in ORIGINAL_FIELDS:
        text = value.get(name)
        limit = TYPE_MAX if name == "type" else ID_MAX
        if isinstance(text, str) and 0 < len(text) <= limit and text.isprintable():
            found[name] = text
    return found
