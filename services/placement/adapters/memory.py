"""Placement storage in memory, for the pure simulator (``services/simulation.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from services.common.provider_keys import ProviderKey
from services.placement.records import PlacementStorage, PlacementTables
from services.runtime.memory import MemoryHold

PlacementStore = PlacementTables
"""Every transaction of a simulation shares one store."""


class MemoryPlacementRepository(PlacementStorage):
    def __init__(self, store: PlacementStore, hold: MemoryHold | None = None) -> None:
        super().__init__(store)
        self.hold = hold or MemoryHold()

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return self.hold.waiting(subjects)

    async def load(
        self,
        participant_ids: Iterable[str],
        referrals: Iterable[ProviderKey],
        placements: Iterable[ProviderKey],
    ) -> None:
        return None

    async def flush(self) -> None:
        self.dirty_participants.clear()
        self.dirty_placements.clear()
        self.new_resends.clear()
        self.displaced.clear()
