"""Sustainment storage in memory, for the pure simulator (``services/simulation.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from schemas.common import MilestoneKind
from services.common.db import Connection, by_subject
from services.common.provider_keys import ProviderKey
from services.sustainment.adapters.postgres import (
    EvidenceRecord,
    ParticipantHistory,
    ParticipantRecord,
    PlacementRecord,
    SustainmentRepository,
)
from services.sustainment.domain import RecordedMilestone


@dataclass
class SustainmentStore:
    participants: dict[str, ParticipantRecord] = field(default_factory=dict)
    placements: dict[ProviderKey, PlacementRecord] = field(default_factory=dict)
    evidence: dict[ProviderKey, EvidenceRecord] = field(default_factory=dict)
    displaced_starts: set[ProviderKey] = field(default_factory=set)
    milestones: dict[str, dict[MilestoneKind, RecordedMilestone]] = field(
        default_factory=lambda: defaultdict(dict)
    )


class MemorySustainmentRepository(SustainmentRepository):
    def __init__(
        self,
        store: SustainmentStore,
        held: Callable[[], Iterable[tuple[str, str | None]]] = tuple,
    ) -> None:
        """``held``: the (waiting_for, subject) of the held inputs, oldest first (the
        simulator's hold)."""
        super().__init__(cast(Connection, None))
        self._held = held
        self.store = store
        self.participants = store.participants
        self.placements = store.placements
        self.evidence = store.evidence
        self.displaced_starts = store.displaced_starts

    async def load(
        self,
        participant_ids: Iterable[str],
        placements: Iterable[ProviderKey],
        evidence: Iterable[ProviderKey],
        displaced_participants: Iterable[str] = (),
        starts: Iterable[ProviderKey] = (),
    ) -> None:
        return None

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return by_subject(self._held(), subjects)

    async def flush(self) -> None:
        self._dirty_participants.clear()
        self._dirty_placements.clear()
        self._dirty_evidence.clear()
        self._new_displaced.clear()

    async def histories(self, participant_ids: Sequence[str]) -> list[ParticipantHistory]:
        """As the PostgreSQL adapter: withdrawn placements and retracted evidence left out."""
        histories = []
        for pid in sorted(set(participant_ids)):
            participant = self.participants.get(pid)
            if participant is None:
                continue
            placements = [
                r.facts
                for r in self.placements.values()
                if r.participant_id == pid and not r.withdrawn
            ]
            evidence = [
                r.facts
                for r in self.evidence.values()
                if r.participant_id == pid and not r.retracted
            ]
            recorded = dict(self.store.milestones.get(pid, {}))
            histories.append(ParticipantHistory(participant, placements, evidence, recorded))
        return histories

    async def record_milestones(self, rows: Sequence[tuple[str, RecordedMilestone]]) -> None:
        for pid, milestone in rows:
            self.store.milestones.setdefault(pid, {})[milestone.milestone] = milestone
