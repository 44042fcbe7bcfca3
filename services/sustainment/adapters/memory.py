"""Sustainment storage in memory, for the pure simulator (``services/simulation.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from schemas.common import MilestoneKind
from services.common.db import Connection
from services.common.provider_keys import ProviderKey
from services.simulation_hold import HeldWaiting, no_hold
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
    milestones: dict[str, dict[MilestoneKind, RecordedMilestone]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    placements_of: dict[str, dict[ProviderKey, None]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    """participant_id -> keys in ``placements``, in insertion order (an index, so that
    ``histories`` reads one participant's rows instead of scanning them all)."""
    evidence_of: dict[str, dict[ProviderKey, None]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    """participant_id -> keys in ``evidence``, in insertion order."""


class MemorySustainmentRepository(SustainmentRepository):
    def __init__(
        self,
        store: SustainmentStore,
        held_waiting: HeldWaiting = no_hold,
    ) -> None:
        """``held_waiting``: what the held inputs of some subjects wait for (the
        simulator's hold, asked through its index: never a scan of the whole hold)."""
        super().__init__(cast(Connection, None))
        self._held_waiting = held_waiting
        self.store = store
        self.participants = store.participants
        self.placements = store.placements
        self.evidence = store.evidence

    async def load(
        self,
        participant_ids: Iterable[str],
        placements: Iterable[ProviderKey],
        evidence: Iterable[ProviderKey],
    ) -> None:
        return None

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return self._held_waiting(subjects)

    def put_placement(self, record: PlacementRecord) -> None:
        super().put_placement(record)
        key = (record.provider_id, record.facts.placement_id)
        self.store.placements_of[record.participant_id][key] = None

    def put_evidence(self, record: EvidenceRecord) -> None:
        super().put_evidence(record)
        key = (record.provider_id, record.facts.evidence_id)
        self.store.evidence_of[record.participant_id][key] = None

    async def flush(self) -> None:
        self._dirty_participants.clear()
        self._dirty_placements.clear()
        self._dirty_evidence.clear()

    async def histories(self, participant_ids: Sequence[str]) -> list[ParticipantHistory]:
        """As the PostgreSQL adapter: withdrawn placements and retracted evidence left out."""
        histories = []
        for pid in sorted(set(participant_ids)):
            participant = self.participants.get(pid)
            if participant is None:
                continue
            placements = [
                r.facts
                for key in self.store.placements_of.get(pid, {})
                for r in [self.placements[key]]
                if r.participant_id == pid and not r.withdrawn
            ]
            evidence = [
                r.facts
                for key in self.store.evidence_of.get(pid, {})
                for r in [self.evidence[key]]
                if r.participant_id == pid and not r.retracted
            ]
            recorded = dict(self.store.milestones.get(pid, {}))
            histories.append(ParticipantHistory(participant, placements, evidence, recorded))
        return histories

    async def record_milestones(self, rows: Sequence[tuple[str, RecordedMilestone]]) -> None:
        for pid, milestone in rows:
            self.store.milestones.setdefault(pid, {})[milestone.milestone] = milestone
