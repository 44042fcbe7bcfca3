"""Finance's reads for the web pages: the payments service's ledger (schema
``payments``, read only) and the payment topic as the read model received it (schema
``views``), compared by the same ``reconcile`` as ``outcomes reconcile``; and the search
of the payment stream by payment id, participant id or referral id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from asyncpg import Record

from schemas.common import MilestoneKind
from services.common.db import Connection
from services.views.ledger import LedgerEntry, Reconciliation, reconcile

MAX_SEARCH_LENGTH = 128
MAX_RESULTS = 200

_ENTRY_COLUMNS = (
    "payment_id, contract_id, provider_id, participant_id, milestone, occurrence,"
    " amount_pence, reverses"
)


def _entries(rows: Sequence[Record]) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            r["payment_id"],
            r["contract_id"],
            r["provider_id"],
            r["participant_id"],
            r["milestone"],
            r["occurrence"],
            r["amount_pence"],
            r["reverses"],
        )
        for r in rows
    ]


async def ledger(conn: Connection) -> tuple[list[LedgerEntry], int]:
    """Every payment in the payments service's ledger, and its outbox backlog (payments
    not yet on the topic): for these pages and ``outcomes reconcile`` alike."""
    rows = await conn.fetch(f"SELECT {_ENTRY_COLUMNS} FROM payments.payments")
    pending = int(await conn.fetchval("SELECT count(*) FROM payments.outbox") or 0)
    return _entries(rows), pending


async def reconciliation(conn: Connection) -> tuple[Reconciliation, int]:
    """Ledger vs topic, and the payments outbox backlog (payments not yet on the topic)."""
    entries, pending = await ledger(conn)
    topic = await conn.fetch(f"SELECT {_ENTRY_COLUMNS} FROM views.payments")
    return reconcile(entries, _entries(topic)), pending


@dataclass(frozen=True)
class FoundPayment:
    payment_id: str
    contract_id: str
    provider_id: str
    participant_id: str
    referral_id: str | None
    milestone: MilestoneKind
    occurrence: int
    reached_on: date
    amount_pence: int
    reverses: str | None
    reversed_by: str | None
    issued_at: datetime


async def search_payments(conn: Connection, text: str) -> list[FoundPayment]:
    """Payments and reversals whose payment id, participant id or referral id is ``text``
    (exact; surrounding spaces ignored), newest first, at most ``MAX_RESULTS``."""
    wanted = text.strip()[:MAX_SEARCH_LENGTH]
    if not wanted:
        return []
    rows = await conn.fetch(
        """
        SELECT y.payment_id, y.contract_id, y.provider_id, y.participant_id, p.referral_id,
               y.milestone, y.occurrence, y.reached_on, y.amount_pence, y.reverses,
               (SELECT r.payment_id FROM views.payments r WHERE r.reverses = y.payment_id
                LIMIT 1) AS reversed_by, y.issued_at
        FROM views.payments y
        LEFT JOIN views.participants p ON p.provider_id = y.provider_id
                                      AND p.participant_id = y.participant_id
        WHERE y.payment_id = $1 OR y.participant_id = $1 OR p.referral_id = $1
        ORDER BY y.issued_at DESC, y.payment_id
        LIMIT $2
        """,
        wanted,
        MAX_RESULTS,
    )
    return [FoundPayment(**{**dict(r), "milestone": MilestoneKind(r["milestone"])}) for r in rows]
