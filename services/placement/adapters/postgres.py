"""All SQL of the placement service."""

from __future__ import annotations

from collections.abc import Iterable

from asyncpg import Record

from schemas.provider import JobStarted
from schemas.topics import by_name
from services.common import db
from services.common.db import Connection
from services.common.messages import RawRecord
from services.common.provider_keys import ProviderKey
from services.placement.domain import ParticipantOnProgramme
from services.placement.records import PlacementRecord, PlacementStorage


def _source(row: Record) -> RawRecord | None:
    if row["source_spec"] is None:
        return None
    return RawRecord(
        spec=by_name(row["source_spec"]),
        topic=row["source_topic"],
        partition=row["source_partition"],
        offset=row["source_offset"],
        key=row["source_key"],
        value=row["source_value"],
    )


def _pairs(keys: Iterable[ProviderKey]) -> tuple[list[str], list[str]]:
    """Keys as two arrays, for ``(provider_id, x) IN (SELECT * FROM unnest($1, $2))``."""
    ordered = sorted(set(keys))
    return [p for p, _ in ordered], [i for _, i in ordered]


class PlacementRepository(PlacementStorage):
    """Participants by referral and placements, each keyed by (provider_id, id): referral
    and placement ids are the sending provider's own (domain.md v3 §9)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        """What the held inputs of these subjects wait for (one query for a batch)."""
        return await db.held_waiting(self.conn, subjects)

    async def load(
        self,
        participant_ids: Iterable[str],
        referrals: Iterable[ProviderKey],
        placements: Iterable[ProviderKey],
    ) -> None:
        """The participants named, and their placements with those named by key."""
        rows = await self.conn.fetch(
            "SELECT * FROM participants WHERE NOT displaced AND participant_id IN"
            " (SELECT unnest($1::text[]) UNION ALL SELECT participant_id FROM participants"
            " WHERE (provider_id, referral_id) IN (SELECT * FROM unnest($2::text[], $3::text[])))",
            list(participant_ids),
            *_pairs(referrals),
        )
        for row in rows:
            self.put_participant(
                (row["provider_id"], row["referral_id"]),
                ParticipantOnProgramme(
                    participant_id=row["participant_id"],
                    provider_id=row["provider_id"],
                    contract_id=row["contract_id"],
                    start_date=row["start_date"],
                    leaver_date=row["leaver_date"],
                ),
                dirty=False,
            )
        for row in await self.conn.fetch(
            "SELECT * FROM placements WHERE (provider_id, placement_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[]) UNION ALL"
            " SELECT provider_id, placement_id FROM placements"
            " WHERE participant_id = ANY($3::text[]))",
            *_pairs(placements),
            sorted(self.referral_of),
        ):
            self.keep_placement(
                PlacementRecord(
                    job=JobStarted.model_validate_json(row["content"]),
                    participant_id=row["participant_id"],
                    pays_llw=row["pays_llw"],
                    below_minimum_wage=row["below_minimum_wage"],
                    end_date=row["end_date"],
                    withdrawn=row["withdrawn"],
                    source=_source(row),
                    source_event_id=row["source_event_id"],
                )
            )
        for row in await self.conn.fetch(
            "SELECT * FROM placement_resends WHERE (provider_id, placement_id) IN"
            ' (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY "offset"',
            *_pairs(self.placements),
        ):
            record = RawRecord(
                by_name(row["spec_name"]),
                row["topic"],
                row["partition"],
                row["offset"],
                row["key"],
                row["value"],
            )
            key = (row["provider_id"], row["placement_id"])
            self.placements[key].resends.append((row["event_id"], record))

    async def flush(self) -> None:
        participants = [
            (p.participant_id, ref[1], p.provider_id, p.contract_id, p.start_date, p.leaver_date)
            for ref in sorted(self.dirty_participants)
            for p in [self.by_referral[ref]]
        ]
        if self.displaced:
            await self.conn.executemany(
                "UPDATE participants SET displaced = true"
                " WHERE participant_id = $1 AND provider_id = $2 AND referral_id = $3",
                self.displaced,
            )
        if participants:
            await self.conn.executemany(
                "INSERT INTO participants (participant_id, referral_id, provider_id,"
                " contract_id, start_date, leaver_date) VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (participant_id) DO UPDATE SET referral_id = EXCLUDED.referral_id,"
                " provider_id = EXCLUDED.provider_id, contract_id = EXCLUDED.contract_id,"
                " start_date = EXCLUDED.start_date, leaver_date = EXCLUDED.leaver_date,"
                " displaced = false",
                participants,
            )
        placements = [
            (
                r.job.placement_id,
                r.participant_id,
                r.job.provider_id,
                r.job.job_start_date,
                r.pays_llw,
                r.below_minimum_wage,
                r.job.model_dump_json(),
                r.end_date,
                r.withdrawn,
                r.source_event_id,
                r.source.spec.name if r.source else None,
                r.source.topic if r.source else None,
                r.source.partition if r.source else None,
                r.source.offset if r.source else None,
                r.source.key if r.source else None,
                r.source.value if r.source else None,
            )
            for key in sorted(self.dirty_placements)
            for r in [self.placements[key]]
        ]
        if placements:
            await self.conn.execute(
                "INSERT INTO placements (placement_id, participant_id, provider_id,"
                " job_start_date, pays_llw, below_minimum_wage, content, end_date, withdrawn,"
                " source_event_id, source_spec, source_topic, source_partition, source_offset,"
                " source_key, source_value)"
                " SELECT pl, pa, p, j, llw, bmw, content::jsonb, ed, w, se, ss, st, sp, so, sk, sv"
                " FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::boolean[],"
                " $6::boolean[], $7::text[], $8::date[], $9::boolean[], $10::text[], $11::text[],"
                " $12::text[], $13::integer[], $14::bigint[], $15::bytea[], $16::bytea[])"
                " AS u(pl, pa, p, j, llw, bmw, content, ed, w, se, ss, st, sp, so, sk, sv)"
                " ON CONFLICT (provider_id, placement_id)"
                " DO UPDATE SET end_date = EXCLUDED.end_date, withdrawn = EXCLUDED.withdrawn",
                *db.columns(placements, 16),
            )
        if self.new_resends:
            await self.conn.executemany(
                "INSERT INTO placement_resends (event_id, provider_id, placement_id, spec_name,"
                ' topic, "partition", "offset", key, value)'
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT (provider_id, event_id) DO NOTHING",
                [
                    (eid, prov, pid, r.spec.name, r.topic, r.partition, r.offset, r.key, r.value)
                    for (prov, pid), eid, r in self.new_resends
                ],
            )
        self.dirty_participants.clear()
        self.dirty_placements.clear()
        self.new_resends.clear()
        self.displaced.clear()
