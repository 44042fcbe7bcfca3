"""Finance's view of the payment stream: payment rows and the reconciliation with the
ledger. Pure. The payment book and the statements are services/views/statements.py (one
implementation for the CLI and the web app), re-exported here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemas.payments import ProviderPaymentIssued
from services.views.statements import (
    PaymentBook,
    Statement,
    Totals,
    month_of,
    paid_on,
    statements,
)

__all__ = [
    "PaymentBook",
    "Statement",
    "Totals",
    "month_of",
    "paid_on",
    "payment_row",
    "reconcile",
    "statements",
]


PAYMENT_COLUMNS = (
    "payment_id",
    "kind",
    "paid_on",
    "contract_id",
    "contract_version",
    "provider_id",
    "participant_id",
    "milestone",
    "occurrence",
    "reached_on",
    "base_pence",
    "uplift_pence",
    "amount_pence",
    "reverses",
    "reversed_by",
)


def payment_row(p: ProviderPaymentIssued, reversed_by: str | None) -> dict[str, Any]:
    return {
        "payment_id": p.payment_id,
        "kind": "reversal" if p.reverses is not None else "payment",
        "paid_on": paid_on(p).isoformat(),
        "contract_id": p.contract_id,
        "contract_version": p.contract_version,
        "provider_id": p.provider_id,
        "participant_id": p.participant_id,
        "milestone": p.milestone.value,
        "occurrence": p.occurrence,
        "reached_on": p.reached_on.isoformat(),
        "base_pence": p.base_pence,
        "uplift_pence": p.uplift_pence,
        "amount_pence": p.amount_pence,
        "reverses": p.reverses,
        "reversed_by": reversed_by,
    }


# ------------------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class LedgerEntry:
    """What reconciliation compares of a payment, from the ledger or from the topic."""

    payment_id: str
    contract_id: str
    provider_id: str
    participant_id: str
    milestone: str
    occurrence: int
    amount_pence: int
    reverses: str | None

    @classmethod
    def of(cls, p: ProviderPaymentIssued) -> LedgerEntry:
        return cls(
            p.payment_id,
            p.contract_id,
            p.provider_id,
            p.participant_id,
            p.milestone.value,
            p.occurrence,
            p.amount_pence,
            p.reverses,
        )


@dataclass(frozen=True)
class Difference:
    payment_id: str
    contract_id: str
    what: str  # only_in_ledger | only_on_topic | differs
    detail: str


@dataclass(frozen=True)
class ContractTotals:
    ledger_count: int
    ledger_pence: int
    topic_count: int
    topic_pence: int


@dataclass(frozen=True)
class Reconciliation:
    contracts: dict[str, ContractTotals]
    differences: list[Difference]

    @property
    def balanced(self) -> bool:
        return not self.differences


def reconcile(ledger: Iterable[LedgerEntry], topic: Iterable[LedgerEntry]) -> Reconciliation:
    """Counts and pence per contract on both sides, and every payment that differs."""
    in_ledger = {e.payment_id: e for e in ledger}
    on_topic = {e.payment_id: e for e in topic}
    differences = []
    for pid in sorted(in_ledger.keys() | on_topic.keys()):
        a, b = in_ledger.get(pid), on_topic.get(pid)
        if b is None:
            assert a is not None
            differences.append(
                Difference(pid, a.contract_id, "only_in_ledger", f"{a.amount_pence} pence")
            )
        elif a is None:
            differences.append(
                Difference(pid, b.contract_id, "only_on_topic", f"{b.amount_pence} pence")
            )
        elif a != b:
            fields = [n for n in a.__dataclass_fields__ if getattr(a, n) != getattr(b, n)]
            detail = "; ".join(
                f"{n}: ledger {getattr(a, n)!r}, topic {getattr(b, n)!r}" for n in fields
            )
            differences.append(Difference(pid, a.contract_id, "differs", detail))
    contracts = {}
    for contract in sorted({e.contract_id for e in (*in_ledger.values(), *on_topic.values())}):
        mine = [e for e in in_ledger.values() if e.contract_id == contract]
        theirs = [e for e in on_topic.values() if e.contract_id == contract]
        contracts[contract] = ContractTotals(
            len(mine),
            sum(e.amount_pence for e in mine),
            len(theirs),
            sum(e.amount_pence for e in theirs),
        )
    return Reconciliation(contracts, differences)
