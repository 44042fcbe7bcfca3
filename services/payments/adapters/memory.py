"""Payments storage in memory, for the pure simulator (``services/simulation.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from services.common.db import Connection
from services.payments.adapters.postgres import (
    Account,
    NotPaidKey,
    PaymentComponents,
    PaymentsRepository,
)
from services.payments.domain import LedgerEntry


@dataclass
class PaymentsStore:
    ledgers: dict[Account, list[LedgerEntry]] = field(default_factory=lambda: defaultdict(list))
    components: dict[str, PaymentComponents] = field(default_factory=dict)
    not_paid_keys: set[NotPaidKey] = field(default_factory=set)


class MemoryPaymentsRepository(PaymentsRepository):
    def __init__(self, store: PaymentsStore) -> None:
        super().__init__(cast(Connection, None))
        self.ledgers = store.ledgers
        self.components = store.components
        self.not_paid_keys = store.not_paid_keys

    async def load(self, accounts: Iterable[Account]) -> None:
        return None

    async def flush(self) -> None:
        self._new_payments.clear()
        self._not_paid.clear()
