"""Intake storage in memory, for the pure simulator (``services/simulation.py``).

The same interface as :class:`IntakeRepository`; every transaction shares one store,
so ``load`` has nothing to do and ``flush`` only forgets what was dirty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from services.common.db import Connection
from services.intake.adapters.postgres import IntakeRepository, ReferralRecord


@dataclass
class IntakeStore:
    referrals: dict[str, ReferralRecord] = field(default_factory=dict)
    started_by_participant: dict[str, str] = field(default_factory=dict)


class MemoryIntakeRepository(IntakeRepository):
    def __init__(self, store: IntakeStore) -> None:
        super().__init__(cast(Connection, None))
        self.referrals = store.referrals
        self.started_by_participant = store.started_by_participant

    async def load(self, referral_ids: Iterable[str], participant_ids: Iterable[str]) -> None:
        return None

    async def flush(self) -> None:
        self._dirty.clear()
