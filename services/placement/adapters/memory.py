"""Placement storage in memory, for the pure simulator (``services/simulation.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from services.common.db import Connection
from services.common.provider_keys import ProviderKey
from services.placement.adapters.postgres import PlacementRecord, PlacementRepository
from services.placement.domain import ParticipantOnProgramme
from services.simulation_hold import HeldWaiting, no_hold


@dataclass
class PlacementStore:
    by_referral: dict[ProviderKey, ParticipantOnProgramme] = field(default_factory=dict)
    referral_of: dict[str, ProviderKey] = field(default_factory=dict)
    placements: dict[ProviderKey, PlacementRecord] = field(default_factory=dict)
    placements_of: dict[str, dict[ProviderKey, None]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    """participant_id -> keys in ``placements``, in insertion order (an index, so that
    ``placements_of`` reads one participant's rows instead of scanning them all)."""


class MemoryPlacementRepository(PlacementRepository):
    def __init__(
        self,
        store: PlacementStore,
        held_waiting: HeldWaiting = no_hold,
    ) -> None:
        """``held_waiting``: what the held inputs of some subjects wait for (the
        simulator's hold, asked through its index: never a scan of the whole hold)."""
        super().__init__(cast(Connection, None))
        self._held_waiting = held_waiting
        self.by_referral = store.by_referral
        self.referral_of = store.referral_of
        self.placements = store.placements
        self._placements_of = store.placements_of

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return self._held_waiting(subjects)

    async def load(
        self,
        participant_ids: Iterable[str],
        referrals: Iterable[ProviderKey],
        placements: Iterable[ProviderKey],
    ) -> None:
        return None

    def put_placement(self, record: PlacementRecord) -> None:
        super().put_placement(record)
        self._placements_of[record.participant_id][record.key] = None

    def placements_of(self, participant_id: str) -> list[PlacementRecord]:
        return [
            p
            for key in self._placements_of.get(participant_id, {})
            for p in [self.placements[key]]
            if p.participant_id == participant_id
        ]

    async def flush(self) -> None:
        self._dirty_participants.clear()
        self._dirty_placements.clear()
        self._new_resends.clear()
