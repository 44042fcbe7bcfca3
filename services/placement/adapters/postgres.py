"""All SQL of the placement service."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from asyncpg import Record

from schemas.provider import JobStarted
from schemas.topics import by_name
from services.common import db
from services.common.db import Connection
from services.common.messages import RawRecord
from services.placement.domain import ParticipantOnProgramme, StoredJob


@dataclass
class PlacementRecord:
    job: JobStarted
    participant_id: str
    pays_llw: bool
    below_minimum_wage: bool
    end_date: date | None = None
    withdrawn: bool = False
    source: RawRecord | None = None
    """The job start record as received, to reject it if the placement is withdrawn."""
    source_event_id: str | None = None
    resends: list[tuple[str, RawRecord]] = field(default_factory=list)
    """(event id, record) of each re-send of the same job start, for a withdrawal."""

    @property
    def stored(self) -> StoredJob:
        return StoredJob(self.job, self.participant_id, self.withdrawn)


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


class PlacementRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.by_referral: dict[str, ParticipantOnProgramme] = {}
        self.referral_of: dict[str, str] = {}
        self.placements: dict[str, PlacementRecord] = {}
        self._dirty_participants: set[str] = set()
        self._dirty_placements: set[str] = set()
        self._new_resends: list[tuple[str, str, RawRecord]] = []
        self._displaced: list[tuple[str, str]] = []

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        """What the held inputs of these subjects wait for (one query for a batch)."""
        return await db.held_waiting(self.conn, subjects)

    async def load(
        self,
        participant_ids: Iterable[str],
        referral_ids: Iterable[str],
        placement_ids: Iterable[str],
    ) -> None:
        """The participants named, and their placements with those named by id."""
        rows = await self.conn.fetch(
            "SELECT * FROM participants WHERE NOT displaced AND"
            " (participant_id = ANY($1::text[]) OR referral_id = ANY($2::text[]))",
            list(participant_ids),
            list(referral_ids),
        )
        for row in rows:
            self.put_participant(
                row["referral_id"],
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
            "SELECT * FROM placements WHERE placement_id = ANY($1::text[])"
            " OR participant_id = ANY($2::text[])",
            list(placement_ids),
            sorted(self.referral_of),
        ):
            self.placements[row["placement_id"]] = PlacementRecord(
                job=JobStarted.model_validate_json(row["content"]),
                participant_id=row["participant_id"],
                pays_llw=row["pays_llw"],
                below_minimum_wage=row["below_minimum_wage"],
                end_date=row["end_date"],
                withdrawn=row["withdrawn"],
                source=_source(row),
                source_event_id=row["source_event_id"],
            )
        for row in await self.conn.fetch(
            "SELECT * FROM placement_resends WHERE placement_id = ANY($1::text[])"
            ' ORDER BY "offset"',
            sorted(self.placements),
        ):
            record = RawRecord(
                by_name(row["spec_name"]),
                row["topic"],
                row["partition"],
                row["offset"],
                row["key"],
                row["value"],
            )
            self.placements[row["placement_id"]].resends.append((row["event_id"], record))

    def put_participant(
        self, referral_id: str, participant: ParticipantOnProgramme, *, dirty: bool = True
    ) -> None:
        self.by_referral[referral_id] = participant
        self.referral_of[participant.participant_id] = referral_id
        if dirty:
            self._dirty_participants.add(referral_id)

    def displace(self, referral_id: str) -> ParticipantOnProgramme | None:
        """§4 v3: the start under ``referral_id`` no longer stands; its participant is off
        programme until the start that displaced it arrives (it replaces the row)."""
        participant = self.by_referral.pop(referral_id, None)
        if participant is None:
            return None
        if self.referral_of.get(participant.participant_id) == referral_id:
            del self.referral_of[participant.participant_id]
        self._dirty_participants.discard(referral_id)
        self._displaced.append((participant.participant_id, referral_id))
        return participant

    def participant(self, participant_id: str) -> ParticipantOnProgramme | None:
        referral_id = self.referral_of.get(participant_id)
        return self.by_referral.get(referral_id) if referral_id else None

    def add_resend(self, placement_id: str, event_id: str, record: RawRecord) -> None:
        self.placements[placement_id].resends.append((event_id, record))
        self._new_resends.append((placement_id, event_id, record))

    def placements_of(self, participant_id: str) -> list[PlacementRecord]:
        return [p for p in self.placements.values() if p.participant_id == participant_id]

    def put_placement(self, record: PlacementRecord) -> None:
        self.placements[record.job.placement_id] = record
        self._dirty_placements.add(record.job.placement_id)

    async def flush(self) -> None:
        participants = [
            (p.participant_id, ref, p.provider_id, p.contract_id, p.start_date, p.leaver_date)
            for ref in sorted(self._dirty_participants)
            for p in [self.by_referral[ref]]
        ]
        if self._displaced:
            await self.conn.executemany(
                "UPDATE participants SET displaced = true"
                " WHERE participant_id = $1 AND referral_id = $2",
                self._displaced,
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
                pid,
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
            for pid in sorted(self._dirty_placements)
            for r in [self.placements[pid]]
        ]
        if placements:
            await self.conn.executemany(
                "INSERT INTO placements (placement_id, participant_id, provider_id,"
                " job_start_date, pays_llw, below_minimum_wage, content, end_date, withdrawn,"
                " source_event_id, source_spec, source_topic, source_partition, source_offset,"
                " source_key, source_value)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14,"
                " $15, $16)"
                " ON CONFLICT (placement_id) DO UPDATE SET end_date = EXCLUDED.end_date,"
                " withdrawn = EXCLUDED.withdrawn",
                placements,
            )
        if self._new_resends:
            await self.conn.executemany(
                "INSERT INTO placement_resends (event_id, placement_id, spec_name, topic,"
                ' "partition", "offset", key, value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)'
                " ON CONFLICT (event_id) DO NOTHING",
                [
                    (eid, pid, r.spec.name, r.topic, r.partition, r.offset, r.key, r.value)
                    for pid, eid, r in self._new_resends
                ],
            )
        self._dirty_participants.clear()
        self._dirty_placements.clear()
        self._new_resends.clear()
        self._displaced.clear()
