"""All SQL of the payments service: the ledger per (contract, participant)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from schemas.base import Event
from schemas.common import MilestoneKind
from services.common.db import Connection
from services.common.messages import Received
from services.payments.domain import LedgerEntry
from services.payments.records import PaymentComponents, PaymentsStorage, accounts_of


class PaymentsRepository(PaymentsStorage):
    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return {}  # payments never holds

    async def load(self, items: Sequence[Received[Event]]) -> None:
        keys = sorted(set(accounts_of(items)))
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

    async def flush(self) -> None:
        if self.new_payments:
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
                    for p in self.new_payments
                ],
            )
            await self.conn.executemany(
                "UPDATE payments SET reversed_by = $1 WHERE payment_id = $2",
                [(p.payment_id, p.reverses) for p in self.new_payments if p.reverses],
            )
        if self.new_not_paid:
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
                    for n in self.new_not_paid
                ],
            )
        self.new_payments.clear()
        self.new_not_paid.clear()
