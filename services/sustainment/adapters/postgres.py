"""All SQL of the sustainment service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from asyncpg import Record

from schemas.common import (
    EligibilityGroup,
    EmploymentType,
    EvidenceKind,
    MilestoneKind,
    RejectionReason,
)
from services.common import db
from services.common.db import Connection
from services.common.provider_keys import ProviderKey
from services.sustainment.domain import (
    EvidenceFacts,
    ParticipantWindow,
    PlacementFacts,
    RecordedMilestone,
)
from services.sustainment.records import (
    EvidenceRecord,
    ParticipantHistory,
    ParticipantRecord,
    PlacementRecord,
    SustainmentStorage,
)

_GROUPS = {g.value: g for g in EligibilityGroup}
_EMPLOYMENT_TYPES = {t.value: t for t in EmploymentType}
_EVIDENCE_KINDS = {k.value: k for k in EvidenceKind}
"""Stored values to their enum members: a dict lookup per row (an Enum call costs ~1 us)."""


def _participant(r: Record) -> ParticipantRecord:
    return ParticipantRecord(
        participant_id=r["participant_id"],
        provider_id=r["provider_id"],
        contract_id=r["contract_id"],
        eligibility_group=_GROUPS[r["eligibility_group"]],
        window=ParticipantWindow(
            start_date=r["start_date"],
            leaver_date=r["leaver_date"],
            nlw_pence_at_start=r["nlw_pence_at_start"],
            weekly_hours_min_hundredths=r["weekly_hours_min_hundredths"],
        ),
        referral_id=r["referral_id"],
        displaced=r["displaced"],
    )


def _placement_facts(r: Record) -> PlacementFacts:
    return PlacementFacts(
        placement_id=r["placement_id"],
        job_start_date=r["job_start_date"],
        employment_type=_EMPLOYMENT_TYPES[r["employment_type"]],
        pays_llw=r["pays_llw"],
    )


def _evidence_facts(r: Record) -> EvidenceFacts:
    return EvidenceFacts(
        evidence_id=r["evidence_id"],
        placement_id=r["placement_id"],
        kind=_EVIDENCE_KINDS[r["kind"]],
        period_start=r["period_start"],
        period_end=r["period_end"],
        gross_earnings_pence=r["gross_earnings_pence"],
        hours_hundredths=r["hours_hundredths"],
        reported_on=r["reported_on"],
    )


def _pairs(keys: Iterable[ProviderKey]) -> tuple[list[str], list[str]]:
    """Keys as two arrays, for ``(provider_id, x) IN (SELECT * FROM unnest($1, $2))``."""
    ordered = sorted(set(keys))
    return [p for p, _ in ordered], [i for _, i in ordered]


class SustainmentRepository(SustainmentStorage):
    """Participants by id; placements and evidence by (provider_id, id): placement and
    evidence ids are the sending provider's own (domain.md v3 §9)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    async def load(
        self,
        participant_ids: Iterable[str],
        placements: Iterable[ProviderKey],
        evidence: Iterable[ProviderKey],
        displaced_participants: Iterable[str] = (),
        starts: Iterable[ProviderKey] = (),
    ) -> None:
        """The records named; for ``displaced_participants`` also all their placements;
        of the (provider, referral) ``starts`` named, those displaced."""
        for row in await self.conn.fetch(
            "SELECT provider_id, referral_id FROM displaced_starts WHERE (provider_id,"
            " referral_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            *_pairs(starts),
        ):
            self.displaced_starts.add((row["provider_id"], row["referral_id"]))
        for row in await self.conn.fetch(
            "SELECT * FROM participants WHERE participant_id = ANY($1::text[])",
            list(participant_ids),
        ):
            self.participants[row["participant_id"]] = _participant(row)
        for row in await self.conn.fetch(
            "SELECT * FROM placements WHERE (provider_id, placement_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[]) UNION ALL"
            " SELECT provider_id, placement_id FROM placements"
            " WHERE participant_id = ANY($3::text[]))",
            *_pairs(placements),
            list(displaced_participants),
        ):
            self.placements[(row["provider_id"], row["placement_id"])] = PlacementRecord(
                _placement_facts(row),
                row["participant_id"],
                row["provider_id"],
                row["end_date"],
                row["withdrawn"],
                row["referral_id"],
            )
        for row in await self.conn.fetch(
            "SELECT * FROM evidence WHERE (provider_id, evidence_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[]))",
            *_pairs(evidence),
        ):
            self.evidence[(row["provider_id"], row["evidence_id"])] = EvidenceRecord(
                _evidence_facts(row),
                row["participant_id"],
                row["provider_id"],
                row["version"],
                row["retracted"],
            )

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        """What the held inputs of these subjects wait for (one query for a batch)."""
        return await db.held_waiting(self.conn, subjects)

    async def flush(self) -> None:
        """The batch's changed participants, placements and evidence, one set-based
        upsert per table (in key order, as the rows were loaded)."""
        participants = [
            (
                p.participant_id,
                p.provider_id,
                p.contract_id,
                p.eligibility_group.value,
                p.window.start_date,
                p.window.leaver_date,
                p.window.nlw_pence_at_start,
                p.window.weekly_hours_min_hundredths,
                p.referral_id,
                p.displaced,
            )
            for pid in sorted(self.dirty_participants)
            for p in [self.participants[pid]]
        ]
        if participants:
            await self.conn.execute(
                "INSERT INTO participants (participant_id, provider_id, contract_id,"
                " eligibility_group, start_date, leaver_date, nlw_pence_at_start,"
                " weekly_hours_min_hundredths, referral_id, displaced)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                " $5::date[], $6::date[], $7::integer[], $8::integer[], $9::text[],"
                " $10::boolean[])"
                " ON CONFLICT (participant_id) DO UPDATE SET provider_id = EXCLUDED.provider_id,"
                " contract_id = EXCLUDED.contract_id,"
                " eligibility_group = EXCLUDED.eligibility_group, start_date = EXCLUDED.start_date,"
                " leaver_date = EXCLUDED.leaver_date,"
                " nlw_pence_at_start = EXCLUDED.nlw_pence_at_start,"
                " weekly_hours_min_hundredths = EXCLUDED.weekly_hours_min_hundredths,"
                " referral_id = EXCLUDED.referral_id, displaced = EXCLUDED.displaced",
                *db.columns(participants, 10, key=1),
            )
        placements = [
            (
                r.facts.placement_id,
                r.participant_id,
                r.provider_id,
                r.facts.job_start_date,
                r.facts.employment_type.value,
                r.facts.pays_llw,
                r.end_date,
                r.withdrawn,
                r.referral_id,
            )
            for key in sorted(self.dirty_placements)
            for r in [self.placements[key]]
        ]
        if placements:
            await self.conn.execute(
                "INSERT INTO placements (placement_id, participant_id, provider_id,"
                " job_start_date, employment_type, pays_llw, end_date, withdrawn, referral_id)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[],"
                " $5::text[], $6::boolean[], $7::date[], $8::boolean[], $9::text[])"
                " ON CONFLICT (provider_id, placement_id)"
                " DO UPDATE SET end_date = EXCLUDED.end_date, withdrawn = EXCLUDED.withdrawn",
                *db.columns(placements, 9),
            )
        evidence = [
            (
                e.facts.evidence_id,
                e.facts.placement_id,
                e.participant_id,
                e.provider_id,
                e.version,
                e.retracted,
                e.facts.kind.value,
                e.facts.period_start,
                e.facts.period_end,
                e.facts.gross_earnings_pence,
                e.facts.hours_hundredths,
                e.facts.reported_on,
            )
            for key in sorted(self.dirty_evidence)
            for e in [self.evidence[key]]
        ]
        if evidence:
            await self.conn.execute(
                "INSERT INTO evidence (evidence_id, placement_id, participant_id, provider_id,"
                " version, retracted, kind, period_start, period_end, gross_earnings_pence,"
                " hours_hundredths, reported_on)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                " $5::integer[], $6::boolean[], $7::text[], $8::date[], $9::date[],"
                " $10::bigint[], $11::integer[], $12::date[])"
                " ON CONFLICT (provider_id, evidence_id) DO UPDATE SET version = EXCLUDED.version,"
                " retracted = EXCLUDED.retracted, kind = EXCLUDED.kind,"
                " period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,"
                " gross_earnings_pence = EXCLUDED.gross_earnings_pence,"
                " hours_hundredths = EXCLUDED.hours_hundredths, reported_on = EXCLUDED.reported_on",
                *db.columns(evidence, 12),
            )
        if self.new_displaced:
            await self.conn.executemany(
                "INSERT INTO displaced_starts (provider_id, referral_id, participant_id)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                self.new_displaced,
            )
        self.dirty_participants.clear()
        self.dirty_placements.clear()
        self.dirty_evidence.clear()
        self.new_displaced.clear()

    async def histories(self, participant_ids: Sequence[str]) -> list[ParticipantHistory]:
        """Load whole histories (after flush) for the participants whose facts changed."""
        ids = list(participant_ids)
        participants = {
            r["participant_id"]: _participant(r)
            for r in await self.conn.fetch(
                "SELECT * FROM participants WHERE participant_id = ANY($1::text[])", ids
            )
        }
        placements: dict[str, list[PlacementFacts]] = defaultdict(list)
        for r in await self.conn.fetch(
            "SELECT * FROM placements WHERE participant_id = ANY($1::text[]) AND NOT withdrawn",
            ids,
        ):
            placements[r["participant_id"]].append(_placement_facts(r))
        evidence: dict[str, list[EvidenceFacts]] = defaultdict(list)
        for r in await self.conn.fetch(
            "SELECT * FROM evidence WHERE participant_id = ANY($1::text[]) AND NOT retracted", ids
        ):
            evidence[r["participant_id"]].append(_evidence_facts(r))
        recorded: dict[str, dict[MilestoneKind, RecordedMilestone]] = defaultdict(dict)
        for r in await self.conn.fetch(
            "SELECT * FROM milestones WHERE participant_id = ANY($1::text[])", ids
        ):
            kind = MilestoneKind(r["milestone"])
            recorded[r["participant_id"]][kind] = RecordedMilestone(
                milestone=kind,
                occurrence=r["occurrence"],
                active=r["active"],
                reached_on=r["reached_on"],
                amount_due_pence=r["amount_due_pence"],
                payable=r["payable"],
                not_payable_reason=_reason(r["not_payable_reason"]),
            )
        return [
            ParticipantHistory(p, placements[pid], evidence[pid], recorded[pid])
            for pid, p in sorted(participants.items())
        ]

    async def record_milestones(self, rows: Sequence[tuple[str, RecordedMilestone]]) -> None:
        """Upsert what was announced; the last row for a (participant, milestone) wins."""
        if not rows:
            return
        await self.conn.execute(
            "INSERT INTO milestones (participant_id, milestone, occurrence, active, reached_on,"
            " amount_due_pence, payable, not_payable_reason)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::boolean[],"
            " $5::date[], $6::bigint[], $7::boolean[], $8::text[])"
            " ON CONFLICT (participant_id, milestone)"
            " DO UPDATE SET occurrence = EXCLUDED.occurrence, active = EXCLUDED.active,"
            " reached_on = EXCLUDED.reached_on, amount_due_pence = EXCLUDED.amount_due_pence,"
            " payable = EXCLUDED.payable, not_payable_reason = EXCLUDED.not_payable_reason",
            *db.columns(
                [
                    (
                        pid,
                        m.milestone.value,
                        m.occurrence,
                        m.active,
                        m.reached_on,
                        m.amount_due_pence,
                        m.payable,
                        m.not_payable_reason.value if m.not_payable_reason else None,
                    )
                    for pid, m in rows
                ],
                8,
                key=2,
            ),
        )


def _reason(value: str | None) -> RejectionReason | None:
    return None if value is None else RejectionReason(value)
