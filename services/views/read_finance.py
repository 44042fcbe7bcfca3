"""Read API for finance: payment lines and monthly statements, each line with the
provider's referral_id (domain.md §11), from the read model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from schemas.common import MilestoneKind
from schemas.payments import PaymentLineage, ProviderPaymentIssued
from services.common.db import Connection
from services.views.read_model import PaymentLine
from services.views.statements import PaymentBook, Statement
from services.views.statements import statements as monthly_statements


async def payment_lines(
    conn: Connection,
    contract_id: str,
    issued_from: datetime,
    issued_before: datetime,
    provider_id: str | None = None,
) -> list[PaymentLine]:
    """Payments and reversals of a contract issued in ``[issued_from, issued_before)``,
    each with the provider's referral_id (for statements, §11)."""
    records = await conn.fetch(
        """
        SELECT y.payment_id, y.provider_id, y.contract_id, y.contract_version,
               y.participant_id, p.referral_id, y.milestone, y.occurrence, y.reached_on,
               y.amount_pence, y.base_pence, y.uplift_pence, y.reverses, y.issued_at
        FROM payments y
        LEFT JOIN participants p ON p.provider_id = y.provider_id
                                AND p.participant_id = y.participant_id
        WHERE y.contract_id = $1 AND y.issued_at >= $2 AND y.issued_at < $3
          AND ($4::text IS NULL OR y.provider_id = $4)
        ORDER BY y.issued_at, y.payment_id
        """,
        contract_id,
        issued_from,
        issued_before,
        provider_id,
    )
    return [PaymentLine(**{**dict(r), "milestone": MilestoneKind(r["milestone"])}) for r in records]


async def referral_ids(
    conn: Connection, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(provider_id, participant_id) -> referral_id, for the pairs known to the read model."""
    if not pairs:
        return {}
    records = await conn.fetch(
        "SELECT p.provider_id, p.participant_id, p.referral_id FROM participants p"
        " JOIN unnest($1::text[], $2::text[]) AS q(provider_id, participant_id)"
        " USING (provider_id, participant_id)",
        [a for a, _ in pairs],
        [b for _, b in pairs],
    )
    return {(r["provider_id"], r["participant_id"]): r["referral_id"] for r in records}


async def statements(
    conn: Connection, contract_id: str, month: str, provider_id: str | None = None
) -> list[Statement]:
    """The monthly statements of a contract (one per provider; only ``provider_id``'s
    when given), each line with the provider's referral_id -- the same implementation as
    ``outcomes statement`` (services/views/statements.py). ``month`` is YYYY-MM."""
    year, number = (int(part) for part in month.split("-", 1))
    first = datetime(year, number, 1, tzinfo=UTC)
    after = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    records = await conn.fetch(
        """
        WITH chosen AS (
            SELECT * FROM payments
            WHERE contract_id = $1 AND issued_at >= $2 AND issued_at < $3
              AND ($4::text IS NULL OR provider_id = $4)
        )
        SELECT * FROM chosen
        UNION
        SELECT y.* FROM payments y JOIN chosen c ON y.payment_id = c.reverses
        ORDER BY issued_at, payment_id
        """,
        contract_id,
        first,
        after,
        provider_id,
    )
    book = PaymentBook()
    for r in records:
        book.add(_payment_event(r))
    pairs = sorted({(r["provider_id"], r["participant_id"]) for r in records})
    return [
        s
        for s in monthly_statements(book, contract_id, month, await referral_ids(conn, pairs))
        if provider_id is None or s.provider_id == provider_id
    ]


def _payment_event(r: Any) -> ProviderPaymentIssued:
    return ProviderPaymentIssued(
        event_id=r["event_id"],
        produced_at=r["issued_at"],
        payment_id=r["payment_id"],
        contract_id=r["contract_id"],
        contract_version=r["contract_version"],
        provider_id=r["provider_id"],
        participant_id=r["participant_id"],
        milestone=MilestoneKind(r["milestone"]),
        occurrence=r["occurrence"],
        reached_on=r["reached_on"],
        amount_pence=r["amount_pence"],
        base_pence=r["base_pence"],
        uplift_pence=r["uplift_pence"],
        lineage=PaymentLineage(
            milestone_event_id=r["milestone_event_id"],
            placement_id=r["placement_id"],
            evidence_ids=tuple(r["evidence_ids"]),
        ),
        reverses=r["reverses"],
    )
