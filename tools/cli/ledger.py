"""Finance's view of the payment stream: de-duplicated by payment_id, reversals linked to
what they reverse, monthly statements and the reconciliation with the ledger. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from schemas.payments import ProviderPaymentIssued


@dataclass
class PaymentBook:
    """Payments in the order first seen; a re-sent payment (same id) is kept once."""

    payments: dict[str, ProviderPaymentIssued] = field(default_factory=dict)
    reversed_by: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0
    conflicts: list[str] = field(default_factory=list)  # same id, other amount

    def add(self, payment: ProviderPaymentIssued) -> bool:
        """Record ``payment``; False when its payment_id was already seen."""
        seen = self.payments.get(payment.payment_id)
        if seen is not None:
            self.duplicates += 1
            if (seen.amount_pence, seen.contract_id) != (payment.amount_pence, payment.contract_id):
                self.conflicts.append(payment.payment_id)
            return False
        self.payments[payment.payment_id] = payment
        if payment.reverses is not None:
            self.reversed_by[payment.reverses] = payment.payment_id
        return True


def paid_on(payment: ProviderPaymentIssued) -> date:
    """The date a payment counts in: when the payments service issued it (UTC)."""
    return payment.produced_at.astimezone(UTC).date()


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


# ----------------------------------------------------------------------------- statement


@dataclass(frozen=True)
class Totals:
    payments: int = 0
    paid_pence: int = 0
    reversals: int = 0
    reversed_pence: int = 0
    base_pence: int = 0
    uplift_pence: int = 0

    @property
    def net_pence(self) -> int:
        return self.paid_pence + self.reversed_pence


@dataclass(frozen=True)
class Statement:
    contract_id: str
    provider_id: str
    month: str  # YYYY-MM
    lines: tuple[ProviderPaymentIssued, ...]
    reversed_payments: Mapping[str, ProviderPaymentIssued]  # what the reversals reverse

    def totals(self) -> Totals:
        payments = [p for p in self.lines if p.reverses is None]
        reversals = [p for p in self.lines if p.reverses is not None]
        return Totals(
            payments=len(payments),
            paid_pence=sum(p.amount_pence for p in payments),
            reversals=len(reversals),
            reversed_pence=sum(p.amount_pence for p in reversals),
            base_pence=sum(p.base_pence for p in self.lines),
            uplift_pence=sum(p.uplift_pence for p in self.lines),
        )


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def statements(book: PaymentBook, contract_id: str, month: str) -> list[Statement]:
    """One statement per provider of ``contract_id``: the payments and reversals issued in
    ``month``, in (paid_on, participant, milestone, occurrence, payment_id) order."""
    chosen = [
        p
        for p in book.payments.values()
        if p.contract_id == contract_id and month_of(paid_on(p)) == month
    ]
    out = []
    for provider in sorted({p.provider_id for p in chosen}):
        lines = sorted(
            (p for p in chosen if p.provider_id == provider),
            key=lambda p: (paid_on(p), p.participant_id, p.milestone, p.occurrence, p.payment_id),
        )
        reversed_payments = {
            p.reverses: book.payments[p.reverses]
            for p in lines
            if p.reverses is not None and p.reverses in book.payments
        }
        out.append(Statement(contract_id, provider, month, tuple(lines), reversed_payments))
    return out


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
