"""Intake storage in memory, for the pure simulator (``services/simulation.py``).

The same interface as :class:`IntakeRepository`; every transaction shares one store,
so ``load`` has nothing to do and ``flush`` only forgets what was dirty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from services.common.db import Connection, by_subject
from services.common.provider_keys import ProviderKey
from services.intake.adapters.postgres import IntakeRepository, ReferralRecord


@dataclass
class IntakeStore:
    referrals: dict[ProviderKey, ReferralRecord] = field(default_factory=dict)
    started_by_participant: dict[str, ProviderKey] = field(default_factory=dict)


class MemoryIntakeRepository(IntakeRepository):
    def __init__(
        self,
        store: IntakeStore,
        held: Callable[[], Iterable[tuple[str, str | None]]] = tuple,
    ) -> None:
        """``held``: the (waiting_for, subject) of the held inputs, oldest first (the
        simulator's hold)."""
        super().__init__(cast(Connection, None))
        self._held = held
        self.referrals = store.referrals
        self.started_by_participant = store.started_by_participant

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return by_subject(self._held(), subjects)

    async def load(self, referrals: Iterable[ProviderKey], participant_ids: Iterable[str]) -> None:
        return None

    async def flush(self) -> None:
        self._dirty.clear()
