"""Intake storage in memory, for the pure simulator (``services/simulation.py``).

The same interface as :class:`IntakeRepository`; every transaction shares one store,
so ``load`` has nothing to do and ``flush`` only forgets what was dirty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from services.common.db import Connection
from services.common.provider_keys import ProviderKey
from services.intake.adapters.postgres import IntakeRepository, ReferralRecord
from services.simulation_hold import HeldWaiting, no_hold


@dataclass
class IntakeStore:
    referrals: dict[ProviderKey, ReferralRecord] = field(default_factory=dict)
    started_by_participant: dict[str, ProviderKey] = field(default_factory=dict)


class MemoryIntakeRepository(IntakeRepository):
    def __init__(
        self,
        store: IntakeStore,
        held_waiting: HeldWaiting = no_hold,
    ) -> None:
        """``held_waiting``: what the held inputs of some subjects wait for (the
        simulator's hold, asked through its index: never a scan of the whole hold)."""
        super().__init__(cast(Connection, None))
        self._held_waiting = held_waiting
        self.referrals = store.referrals
        self.started_by_participant = store.started_by_participant

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return self._held_waiting(subjects)

    async def load(self, referrals: Iterable[ProviderKey], participant_ids: Iterable[str]) -> None:
        return None

    async def flush(self) -> None:
        self._dirty.clear()
