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
from services.common.provider_keys import ProviderKey
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

    @property
    def key(self) -> ProviderKey:
        """(provider_id, placement_id): a placement id is its provider's own (v3 §9)."""
        return (self.job.provider_id, self.job.placement_id)


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


class PlacementRepository:
    """Participants by referral and placements, each keyed by (provider_id, id): referral
    and placement ids are the sending provider's own (domain.md v3 §9)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.by_referral: dict[ProviderKey, ParticipantOnProgramme] = {}
        self.referral_of: dict[str, ProviderKey] = {}
        self.placements: dict[ProviderKey, PlacementRecord] = {}
        self._dirty_participants: set[ProviderKey] = set()
        self._dirty_placements: set[ProviderKey] = set()
        self._new_resends: list[tuple[ProviderKey, str, RawRecord]] = []
        self._displaced: list[tuple[str, str, str]] = []

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
            "SELECT * FROM participants WHERE NOT displaced AND (participant_id = ANY($1::text[])"
            " OR (provider_id, referral_id) IN (SELECT * FROM unnest($2::text[], $3::text[])))",
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
            "SELECT * FROM placements WHERE participant_id = ANY($3::text[])"
            " OR (provider_id, placement_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            *_pairs(placements),
            sorted(self.referral_of),
        ):
            self.placements[(row["provider_id"], row["placement_id"])] = PlacementRecord(
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

    def put_participant(
        self, referral: ProviderKey, participant: ParticipantOnProgramme, *, dirty: bool = True
    ) -> None:
        self.by_referral[referral] = participant
        self.referral_of[participant.participant_id] = referral
        if dirty:
            self._dirty_participants.add(referral)

    def displace(self, referral: ProviderKey) -> ParticipantOnProgramme | None:
        """§4 v3: the start under ``referral`` no longer stands; its participant is off
        programme until the start that displaced it arrives (it replaces the row)."""
        participant = self.by_referral.pop(referral, None)
        if participant is None:
            return None
        if self.referral_of.get(participant.participant_id) == referral:
            del self.referral_of[participant.participant_id]
        self._dirty_participants.discard(referral)
        self._displaced.append((participant.participant_id, *referral))
        return participant

    def participant(self, participant_id: str) -> ParticipantOnProgramme | None:
        referral = self.referral_of.get(participant_id)
        return self.by_referral.get(referral) if referral else None

    def add_resend(self, placement: ProviderKey, event_id: str, record: RawRecord) -> None:
        self.placements[placement].resends.append((event_id, record))
        self._new_resends.append((placement, event_id, record))

    def placements_of(self, participant_id: str) -> list[PlacementRecord]:
        return [p for p in self.placements.values() if p.participant_id == participant_id]

    def put_placement(self, record: PlacementRecord) -> None:
        self.placements[record.key] = record
        self._dirty_placements.add(record.key)

    async def flush(self) -> None:
        participants = [
            (p.participant_id, ref[1], p.provider_id, p.contract_id, p.start_date, p.leaver_date)
            for ref in sorted(self._dirty_participants)
            for p in [self.by_referral[ref]]
        ]
        if self._displaced:
            await self.conn.executemany(
                "UPDATE participants SET displaced = true"
                " WHERE participant_id = $1 AND provider_id = $2 AND referral_id = $3",
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
            for key in sorted(self._dirty_placements)
            for r in [self.placements[key]]
        ]
        if placements:
            await self.conn.executemany(
                "INSERT INTO placements (placement_id, participant_id, provider_id,"
                " job_start_date, pays_llw, below_minimum_wage, content, end_date, withdrawn,"
                " source_event_id, source_spec, source_topic, source_partition, source_offset,"
                " source_key, source_value)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14,"
                " $15, $16)"
                " ON CONFLICT (provider_id, placement_id)"
                " DO UPDATE SET end_date = EXCLUDED.end_date, withdrawn = EXCLUDED.withdrawn",
                placements,
            )
        if self._new_resends:
            await self.conn.executemany(
                "INSERT INTO placement_resends (event_id, provider_id, placement_id, spec_name,"
                ' topic, "partition", "offset", key, value)'
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT (provider_id, event_id) DO NOTHING",
                [
                    (eid, prov, pid, r.spec.name, r.topic, r.partition, r.offset, r.key, r.value)
                    for (prov, pid), eid, r in self._new_resends
                ],
            )
        self._dirty_participants.clear()
        self._dirty_placements.clear()
        self._new_resends.clear()
        self._displaced.clear()
