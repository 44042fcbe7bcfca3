"""All SQL of the intake service: referrals loaded per batch, written back in bulk."""

from __future__ import annotations

from collections.abc import Iterable

from asyncpg import Record

from schemas.provider import ReferralMade
from schemas.topics import by_name
from services.common import db
from services.common.db import Connection
from services.common.messages import RawRecord
from services.common.provider_keys import ProviderKey
from services.intake.records import IntakeStorage, ReferralRecord


def _record(row: Record) -> ReferralRecord:
    return ReferralRecord(
        referral=ReferralMade.model_validate_json(row["content"]),
        participant_id=row["participant_id"],
        nino=row["nino"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        end_reason=row["end_reason"],
        start_event_id=row["start_event_id"],
        start_source=_start_source(row),
        displaced_by=row["displaced_by"],
    )


def _start_source(row: Record) -> RawRecord | None:
    if row["start_source_spec"] is None:
        return None
    return RawRecord(
        spec=by_name(row["start_source_spec"]),
        topic=row["start_source_topic"],
        partition=row["start_source_partition"],
        offset=row["start_source_offset"],
        key=row["start_source_key"],
        value=row["start_source_value"],
    )


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
            self.referrals[(row["provider_id"], row["referral_id"])] = _record(row)
        wanted = set(participant_ids) | {r.participant_id for r in self.referrals.values()}
        started = await self.conn.fetch(
            "SELECT * FROM referrals"
            " WHERE participant_id = ANY($1::text[]) AND start_date IS NOT NULL",
            sorted(wanted),
        )
        for row in started:
            key = (row["provider_id"], row["referral_id"])
            self.referrals.setdefault(key, _record(row))
            self.started_by_participant[row["participant_id"]] = key

    async def flush(self) -> None:
        rows = []
        # A displaced start is cleared before the start that displaced it is written:
        # the one-start-per-person index is checked row by row.
        for key in sorted(self.dirty, key=self._clearing_first):
            r = self.referrals[key]
            ref = r.referral
            source = r.start_source
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
                    r.start_event_id,
                    source.spec.name if source else None,
                    source.topic if source else None,
                    source.partition if source else None,
                    source.offset if source else None,
                    source.key if source else None,
                    source.value if source else None,
                    r.displaced_by,
                )
            )
        if rows:
            # One statement, its rows in this order: the one-start-per-person index is
            # still checked row by row, as each row is written.
            await self.conn.execute(
                "INSERT INTO referrals (referral_id, provider_id, contract_id, participant_id,"
                " nino, date_of_birth, referral_date, content, start_date, end_date, end_reason,"
                " start_event_id, start_source_spec, start_source_topic,"
                " start_source_partition, start_source_offset, start_source_key,"
                " start_source_value, displaced_by)"
                " SELECT r, p, c, pa, n, dob, rd, content::jsonb, sd, ed, er, se, ss, st, sp,"
                " so, sk, sv, db FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                " $5::text[], $6::date[], $7::date[], $8::text[], $9::date[], $10::date[],"
                " $11::text[], $12::text[], $13::text[], $14::text[], $15::integer[],"
                " $16::bigint[], $17::bytea[], $18::bytea[], $19::text[])"
                " AS u(r, p, c, pa, n, dob, rd, content, sd, ed, er, se, ss, st, sp, so, sk, sv,"
                " db)"
                " ON CONFLICT (provider_id, referral_id)"
                " DO UPDATE SET start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,"
                " end_reason = EXCLUDED.end_reason,"
                " start_event_id = EXCLUDED.start_event_id,"
                " start_source_spec = EXCLUDED.start_source_spec,"
                " start_source_topic = EXCLUDED.start_source_topic,"
                " start_source_partition = EXCLUDED.start_source_partition,"
                " start_source_offset = EXCLUDED.start_source_offset,"
                " start_source_key = EXCLUDED.start_source_key,"
                " start_source_value = EXCLUDED.start_source_value,"
                " displaced_by = EXCLUDED.displaced_by",
                *db.columns(rows, 19),
            )
        self.dirty.clear()

    def _clearing_first(self, key: ProviderKey) -> tuple[bool, ProviderKey]:
        return (self.referrals[key].start_date is not None, key)
