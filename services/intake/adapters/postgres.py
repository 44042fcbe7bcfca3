"""All SQL of the intake service: referrals loaded per batch, written back in bulk."""

from __future__ import annotations

from collections.abc import Iterable

from schemas.provider import ReferralMade
from services.common import db
from services.common.db import Connection
from services.common.provider_keys import ProviderKey
from services.intake.records import IntakeStorage, ReferralRecord


class IntakeRepository(IntakeStorage):
    """Referrals of one batch, loaded in one query per key set and flushed in one go.

    A referral is its provider's (domain.md v3 §9): keyed by (provider_id, referral_id).
    """

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        """What the held inputs of these subjects wait for (one query for a batch)."""
        return await db.held_waiting(self.conn, subjects)

    async def load(self, referrals: Iterable[ProviderKey], participant_ids: Iterable[str]) -> None:
        keys = sorted(set(referrals))
        rows = await self.conn.fetch(
            "SELECT * FROM referrals WHERE (provider_id, referral_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[]))",
            [p for p, _ in keys],
            [r for _, r in keys],
        )
        for row in rows:
            self.referrals[(row["provider_id"], row["referral_id"])] = ReferralRecord(
                referral=ReferralMade.model_validate_json(row["content"]),
                participant_id=row["participant_id"],
                nino=row["nino"],
                start_date=row["start_date"],
                end_date=row["end_date"],
                end_reason=row["end_reason"],
            )
        wanted = set(participant_ids) | {r.participant_id for r in self.referrals.values()}
        started = await self.conn.fetch(
            "SELECT participant_id, provider_id, referral_id FROM referrals"
            " WHERE participant_id = ANY($1::text[]) AND start_date IS NOT NULL",
            sorted(wanted),
        )
        self.started_by_participant.update(
            {r["participant_id"]: (r["provider_id"], r["referral_id"]) for r in started}
        )

    async def flush(self) -> None:
        rows = []
        for key in sorted(self.dirty):
            r = self.referrals[key]
            ref = r.referral
            rows.append(
                (
                    ref.referral_id,
                    ref.provider_id,
                    ref.contract_id,
                    r.participant_id,
                    r.nino,
                    ref.date_of_birth,
                    ref.referral_date,
                    ref.model_dump_json(),
                    r.start_date,
                    r.end_date,
                    r.end_reason,
                )
            )
        if rows:
            await self.conn.executemany(
                "INSERT INTO referrals (referral_id, provider_id, contract_id, participant_id,"
                " nino, date_of_birth, referral_date, content, start_date, end_date, end_reason)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)"
                " ON CONFLICT (provider_id, referral_id)"
                " DO UPDATE SET start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,"
                " end_reason = EXCLUDED.end_reason",
                rows,
            )
        self.dirty.clear()
