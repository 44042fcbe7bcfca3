"""Read-only queries of the read model (schema ``views``) that the insights need beyond
``services.views.read``: the accepted history of a contract's participants (for the
what-if) and what was actually paid. Every query is bounded."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind, MilestoneKind
from services.common.db import Connection
from services.insights.whatif import AcceptedHistory
from services.sustainment.facts import EvidenceFacts, PlacementFacts

MAX_HISTORIES = 200_000
"""A what-if replays at most this many participants of one contract."""

_PARTICIPANTS = """
SELECT provider_id, participant_id, eligibility_group, start_date, left_on
FROM participants WHERE contract_id = $1
ORDER BY provider_id, participant_id LIMIT $2
"""
_PLACEMENTS = """
SELECT j.participant_id, j.placement_id, j.job_start_date, j.employment_type, j.pays_llw
FROM placements j
WHERE j.contract_id = $1 AND j.withdrawn_on IS NULL
"""
_EVIDENCE = """
SELECT DISTINCT ON (e.provider_id, e.evidence_id)
       e.participant_id, e.evidence_id, e.placement_id, e.kind, e.period_start,
       e.period_end, e.gross_earnings_pence, e.hours, e.reported_on
FROM evidence e
JOIN participants p ON p.provider_id = e.provider_id AND p.participant_id = e.participant_id
WHERE p.contract_id = $1
  AND NOT EXISTS (SELECT 1 FROM evidence r WHERE r.provider_id = e.provider_id
                  AND r.evidence_id = e.evidence_id AND r.retracted_at IS NOT NULL)
ORDER BY e.provider_id, e.evidence_id, e.version DESC
"""


def _hundredths(hours: Decimal) -> int:
    return int(hours * 100)


async def accepted_histories(conn: Connection, contract_id: str) -> list[AcceptedHistory]:
    """Each participant of the contract: placements not withdrawn, and the highest
    version of each evidence id that was never retracted (§6, §9)."""
    placements: dict[str, list[PlacementFacts]] = defaultdict(list)
    for r in await conn.fetch(_PLACEMENTS, contract_id):
        placements[r["participant_id"]].append(
            PlacementFacts(
                r["placement_id"],
                r["job_start_date"],
                EmploymentType(r["employment_type"]),
                r["pays_llw"],
            )
        )
    evidence: dict[str, list[EvidenceFacts]] = defaultdict(list)
    for r in await conn.fetch(_EVIDENCE, contract_id):
        evidence[r["participant_id"]].append(
            EvidenceFacts(
                evidence_id=r["evidence_id"],
                placement_id=r["placement_id"],
                kind=EvidenceKind(r["kind"]),
                period_start=r["period_start"],
                period_end=r["period_end"],
                gross_earnings_pence=r["gross_earnings_pence"],
                hours_hundredths=_hundredths(r["hours"]),
                reported_on=r["reported_on"],
            )
        )
    return [
        AcceptedHistory(
            participant_id=r["participant_id"],
            provider_id=r["provider_id"],
            contract_id=contract_id,
            eligibility_group=EligibilityGroup(r["eligibility_group"]),
            start_date=r["start_date"],
            leaver_date=r["left_on"],
            placements=tuple(placements[r["participant_id"]]),
            evidence=tuple(evidence[r["participant_id"]]),
        )
        for r in await conn.fetch(_PARTICIPANTS, contract_id, MAX_HISTORIES)
    ]


async def net_paid_by_milestone(conn: Connection, contract_id: str) -> dict[MilestoneKind, int]:
    """Payments minus reversals of the contract so far, by milestone (the real figures)."""
    rows = await conn.fetch(
        "SELECT milestone, sum(amount_pence) AS pence FROM payments"
        " WHERE contract_id = $1 GROUP BY milestone",
        contract_id,
    )
    return {MilestoneKind(r["milestone"]): int(r["pence"]) for r in rows if r["pence"]}


async def latest_start(conn: Connection) -> date | None:
    """The latest programme start in the read model (a default end of a period)."""
    value: date | None = await conn.fetchval("SELECT max(start_date) FROM participants")
    return value
