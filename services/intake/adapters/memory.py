"""Intake storage in memory, for the pure simulator (``services/simulation.py``).

Every transaction shares one store, so ``load`` has nothing to do and ``flush`` only
forgets what was dirty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.common.provider_keys import ProviderKey
from services.intake.records import IntakeStorage, ReferralRecord
from services.runtime.memory import MemoryHold


@dataclass
class IntakeStore:
    referrals: dict[ProviderKey, ReferralRecord] = field(default_factory=dict)
    started_by_participant: dict[str, ProviderKey] = field(default_factory=dict)


class MemoryIntakeRepository(IntakeStorage):
    def __init__(self, store: IntakeStore, hold: MemoryHold | None = None) -> None:
        super().__init__(store.referrals, store.started_by_participant)
        self.hold = hold or MemoryHold()

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return self.hold.waiting(subjects)

    async def load(self, referrals: Iterable[ProviderKey], participant_ids: Iterable[str]) -> None:
        return None

    async def flush(self) -> None:
        self.dirty.clear()
