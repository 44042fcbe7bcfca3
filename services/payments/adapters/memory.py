"""Payments storage in memory, for the pure simulator (``services/simulation.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from schemas.base import Event
from services.common.messages import Received
from services.payments.domain import LedgerEntry
from services.payments.records import Account, NotPaidKey, PaymentComponents, PaymentsStorage


@dataclass
class PaymentsStore:
    ledgers: dict[Account, list[LedgerEntry]] = field(default_factory=lambda: defaultdict(list))
    components: dict[str, PaymentComponents] = field(default_factory=dict)
    not_paid_keys: set[NotPaidKey] = field(default_factory=set)


class MemoryPaymentsRepository(PaymentsStorage):
    """Every transaction shares one store: nothing to load, nothing to write."""

    def __init__(self, store: PaymentsStore) -> None:
        super().__init__(store.ledgers, store.components, store.not_paid_keys)

    async def load(self, items: Sequence[Received[Event]]) -> None:
        return None

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return {}  # payments never holds

    async def flush(self) -> None:
        self.new_payments.clear()
        self.new_not_paid.clear()
