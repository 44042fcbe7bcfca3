"""What payments keeps per (contract, participant), as its rules and both stores see it.

:class:`Ledgers` is the storage of one round without its database: the ledgers loaded
so far and the decisions to write. The PostgreSQL adapter fills and flushes it; the
in-memory one shares it across rounds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from schemas.base import Event
from schemas.common import MilestoneKind
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from services.common.messages import Received
from services.payments.domain import LedgerEntry

Account = tuple[str, str]  # (contract_id, participant_id)
NotPaidKey = tuple[str, str, MilestoneKind, int]  # (contract, participant, milestone, occurrence)


@dataclass(frozen=True)
class PaymentComponents:
    contract_version: str
    base_pence: int
    uplift_pence: int
    reached_on: date


class Ledgers:
    def __init__(
        self,
        ledgers: dict[Account, list[LedgerEntry]] | None = None,
        components: dict[str, PaymentComponents] | None = None,
        not_paid_keys: set[NotPaidKey] | None = None,
    ) -> None:
        self.ledgers: dict[Account, list[LedgerEntry]] = (
            defaultdict(list) if ledgers is None else ledgers
        )
        self.components: dict[str, PaymentComponents] = {} if components is None else components
        self.not_paid_keys: set[NotPaidKey] = set() if not_paid_keys is None else not_paid_keys
        self.new_payments: list[ProviderPaymentIssued] = []
        self.new_not_paid: list[MilestoneNotPaid] = []

    def add_payment(self, payment: ProviderPaymentIssued) -> None:
        account = (payment.contract_id, payment.participant_id)
        ledger = self.ledgers[account]
        if payment.reverses is not None:
            ledger[:] = [
                replace(e, reversed_by=payment.payment_id)
                if e.payment_id == payment.reverses
                else e
                for e in ledger
            ]
        ledger.append(
            LedgerEntry(
                payment.payment_id,
                payment.milestone,
                payment.occurrence,
                payment.amount_pence,
                None,
            )
        )
        self.new_payments.append(payment)
        self.components[payment.payment_id] = PaymentComponents(
            payment.contract_version, payment.base_pence, payment.uplift_pence, payment.reached_on
        )

    def add_not_paid(self, decision: MilestoneNotPaid) -> bool:
        """Record a decision not to pay; False if this occurrence was already recorded."""
        key = (
            decision.contract_id,
            decision.participant_id,
            decision.milestone,
            decision.occurrence,
        )
        if key in self.not_paid_keys:
            return False
        self.not_paid_keys.add(key)
        self.new_not_paid.append(decision)
        return True


def accounts_of(items: Sequence[Received[Event]]) -> set[Account]:
    """The (contract, participant) accounts that milestone events name."""
    return {
        (i.event.contract_id, i.event.participant_id)
        for i in items
        if isinstance(i.event, MilestoneReached | MilestoneRevoked)
    }


class PaymentsStorage(Ledgers, ABC):
    """The repository port of payments (``runtime.ports.Repository`` over :class:`Ledgers`)."""

    @abstractmethod
    async def load(self, items: Sequence[Received[Event]]) -> None: ...

    @abstractmethod
    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]: ...

    @abstractmethod
    async def flush(self) -> None: ...
