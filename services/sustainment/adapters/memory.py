"""Sustainment storage in memory, for the pure simulator (``services/simulation.py``).

Indexed as the tables it stands for (placements and evidence by participant), so a
participant's history costs the same however many other participants there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from schemas.common import MilestoneKind
from services.common.provider_keys import ProviderKey
from services.runtime.memory import MemoryHold
from services.sustainment.domain import RecordedMilestone
from services.sustainment.records import (
    EvidenceRecord,
    ParticipantHistory,
    ParticipantRecord,
    PlacementRecord,
    SustainmentStorage,
)


@dataclass
class SustainmentStore:
    participants: dict[str, ParticipantRecord] = field(default_factory=dict)
    placements: dict[ProviderKey, PlacementRecord] = field(default_factory=dict)
    evidence: dict[ProviderKey, EvidenceRecord] = field(default_factory=dict)
    displaced_starts: set[ProviderKey] = field(default_factory=set)
    milestones: dict[str, dict[MilestoneKind, RecordedMilestone]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    placements_of: dict[str, dict[ProviderKey, None]] = field(default_factory=dict)
    """participant id -> its placements, in the order first put (an index)."""
    evidence_of: dict[str, dict[ProviderKey, None]] = field(default_factory=dict)
    """participant id -> its evidence, in the order first put (an index)."""


class MemorySustainmentRepository(SustainmentStorage):
    def __init__(self, store: SustainmentStore, hold: MemoryHold | None = None) -> None:
        super().__init__(store.participants, store.placements, store.evidence)
        self.store = store
        self.hold = hold or MemoryHold()
        self.displaced_starts = store.displaced_starts

    def put_placement(self, record: PlacementRecord) -> None:
        super().put_placement(record)
        key = (record.provider_id, record.facts.placement_id)
        self.store.placements_of.setdefault(record.participant_id, {})[key] = None

    def placements_of(self, participant_id: str) -> list[PlacementRecord]:
        placed = (self.placements[p] for p in self.store.placements_of.get(participant_id, {}))
        return [r for r in placed if r.participant_id == participant_id]

    def put_evidence(self, record: EvidenceRecord) -> None:
        super().put_evidence(record)
        key = (record.provider_id, record.facts.evidence_id)
        self.store.evidence_of.setdefault(record.participant_id, {})[key] = None

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
        return self.hold.waiting(subjects)

    async def flush(self) -> None:
        self.dirty_participants.clear()
        self.dirty_placements.clear()
        self.dirty_evidence.clear()
        self.new_displaced.clear()

    async def histories(self, participant_ids: Sequence[str]) -> list[ParticipantHistory]:
        histories = []
        for pid in sorted(set(participant_ids)):
            participant = self.participants.get(pid)
            if participant is None:
                continue
            placed = (self.placements[p] for p in self.store.placements_of.get(pid, {}))
            placements = [r.facts for r in placed if not r.withdrawn and r.participant_id == pid]
            shown = (self.evidence[e] for e in self.store.evidence_of.get(pid, {}))
            evidence = [e.facts for e in shown if not e.retracted and e.participant_id == pid]
            recorded = dict(self.store.milestones.get(pid, {}))
            histories.append(ParticipantHistory(participant, placements, evidence, recorded))
        return histories

    async def record_milestones(self, rows: Sequence[tuple[str, RecordedMilestone]]) -> None:
        for pid, milestone in rows:
            self.store.milestones.setdefault(pid, {})[milestone.milestone] = milestone
