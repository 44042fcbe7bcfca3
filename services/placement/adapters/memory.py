"""Placement storage in memory, for the pure simulator (``services/simulation.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from services.common.db import Connection, by_subject
from services.common.provider_keys import ProviderKey
from services.placement.adapters.postgres import PlacementRecord, PlacementRepository
from services.placement.domain import ParticipantOnProgramme


@dataclass
class PlacementStore:
    by_referral: dict[ProviderKey, ParticipantOnProgramme] = field(default_factory=dict)
    referral_of: dict[str, ProviderKey] = field(default_factory=dict)
    placements: dict[ProviderKey, PlacementRecord] = field(default_factory=dict)


class MemoryPlacementRepository(PlacementRepository):
    def __init__(
        self,
        store: PlacementStore,
        held: Callable[[], Iterable[tuple[str, str | None]]] = tuple,
    ) -> None:
        """``held``: the (waiting_for, subject) of the held inputs, oldest first (the
        simulator's hold)."""
        super().__init__(cast(Connection, None))
        self._held = held
        self.by_referral = store.by_referral
        self.referral_of = store.referral_of
        self.placements = store.placements

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return by_subject(self._held(), subjects)

    async def load(
        self,
        participant_ids: Iterable[str],
        referrals: Iterable[ProviderKey],
        placements: Iterable[ProviderKey],
    ) -> None:
        return None

    async def flush(self) -> None:
        self._dirty_participants.clear()
        self._dirty_placements.clear()
        self._new_resends.clear()
        self._displaced.clear()
