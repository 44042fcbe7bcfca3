"""All SQL of the payments service: the ledger per (contract, participant)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from schemas.common import MilestoneKind
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from services.common.db import Connection
from services.payments.domain import LedgerEntry

Account = tuple[str, str]  # (contract_id, participant_id)
NotPaidKey = tuple[str, str, MilestoneKind, int]  # (contract, participant, milestone, occurrence)


@dataclass(frozen=True)
class PaymentComponents:
    contract_version: str
    base_pence: int
    uplift_pence: int
    reached_on: date


class PaymentsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.ledgers: dict[Account, list[LedgerEntry]] = defaultdict(list)
        self.components: dict[str, PaymentComponents] = {}
        self._new_payments: list[ProviderPaymentIssued] = []
        self._not_paid: list[MilestoneNotPaid] = []
        self.not_paid_keys: set[NotPaidKey] = set()

    async def load(self, accounts: Iterable[Account]) -> None:
        keys = sorted(set(accounts))
        contracts, participants = [k[0] for k in keys], [k[1] for k in keys]
        rows = await self.conn.fetch(
            "SELECT p.* FROM payments p JOIN unnest($1::text[], $2::text[]) AS a(c, pid)"
            " ON p.contract_id = a.c AND p.participant_id = a.pid ORDER BY p.created_at",
            contracts,
            participants,
        )
        for r in rows:
            self.components[r["payment_id"]] = PaymentComponents(
                r["contract_version"], r["base_pence"], r["uplift_pence"], r["reached_on"]
            )
            self.ledgers[(r["contract_id"], r["participant_id"])].append(
                LedgerEntry(
                    payment_id=r["payment_id"],
                    milestone=MilestoneKind(r["milestone"]),
                    occurrence=r["occurrence"],
                    amount_pence=r["amount_pence"],
                    reversed_by=r["reversed_by"],
                )
            )
        rows = await self.conn.fetch(
            "SELECT n.* FROM not_paid n JOIN unnest($1::text[], $2::text[])"
            " AS a(c, pid) ON n.contract_id = a.c AND n.participant_id = a.pid",
            contracts,
            participants,
        )
        self.not_paid_keys.update(
            (r["contract_id"], r["participant_id"], MilestoneKind(r["milestone"]), r["occurrence"])
            for r in rows
        )

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
        self._new_payments.append(payment)
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
        self._not_paid.append(decision)
        return True

    async def flush(self) -> None:
        if self._new_payments:
            await self.conn.executemany(
                "INSERT INTO payments (payment_id, contract_id, contract_version, provider_id,"
                " participant_id, milestone, occurrence, reached_on, amount_pence, base_pence,"
                " uplift_pence, reverses, milestone_event_id)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                [
                    (
                        p.payment_id,
                        p.contract_id,
                        p.contract_version,
                        p.provider_id,
                        p.participant_id,
                        p.milestone.value,
                        p.occurrence,
                        p.reached_on,
                        p.amount_pence,
                        p.base_pence,
                        p.uplift_pence,
                        p.reverses,
                        p.lineage.milestone_event_id,
                    )
                    for p in self._new_payments
                ],
            )
            await self.conn.executemany(
                "UPDATE payments SET reversed_by = $1 WHERE payment_id = $2",
                [(p.payment_id, p.reverses) for p in self._new_payments if p.reverses],
            )
        if self._not_paid:
            await self.conn.executemany(
                "INSERT INTO not_paid (contract_id, participant_id, milestone, occurrence,"
                " reason, reached_on) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                [
                    (
                        n.contract_id,
                        n.participant_id,
                        n.milestone.value,
                        n.occurrence,
                        n.reason.value,
                        n.reached_on,
                    )
                    for n in self._not_paid
                ],
            )
        self._new_payments.clear()
        self._not_paid.clear()
