"""What placement keeps, as its rules and both stores see it.

:class:`PlacementStorage` is the repository port: the participants by referral, the
placements (indexed by participant), their re-sent job starts, and what changed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from schemas.provider import JobStarted
from services.common.messages import RawRecord
from services.common.provider_keys import ProviderKey
from services.placement.domain import ParticipantOnProgramme, PlacementOfParticipant, StoredJob


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
        return StoredJob(self.job, self.participant_id, self.withdrawn, self.source_event_id)

    @property
    def key(self) -> ProviderKey:
        """(provider_id, placement_id): a placement id is its provider's own (v3 §9)."""
        return (self.job.provider_id, self.job.placement_id)

    def about(self) -> PlacementOfParticipant:
        """Who and what a placements event is about: the person and the placement."""
        return self.stored.about()


@dataclass
class PlacementTables:
    """The rows a repository holds (one round's, or the simulator's whole store), each
    keyed by (provider_id, id): referral and placement ids are the sending provider's own
    (domain.md v3 §9)."""

    by_referral: dict[ProviderKey, ParticipantOnProgramme] = field(default_factory=dict)
    referral_of: dict[str, ProviderKey] = field(default_factory=dict)
    placements: dict[ProviderKey, PlacementRecord] = field(default_factory=dict)
    by_participant: dict[str, dict[ProviderKey, None]] = field(default_factory=dict)
    """participant id -> its placements, in the order first kept (an index)."""


class PlacementStorage(ABC):
    def __init__(self, tables: PlacementTables | None = None) -> None:
        self.tables = tables or PlacementTables()
        self.by_referral = self.tables.by_referral
        self.referral_of = self.tables.referral_of
        self.placements = self.tables.placements
        self.dirty_participants: set[ProviderKey] = set()
        self.dirty_placements: set[ProviderKey] = set()
        self.new_resends: list[tuple[ProviderKey, str, RawRecord]] = []
        self.displaced: list[tuple[str, str, str]] = []
        """(participant_id, provider_id, referral_id) of starts displaced (§4 v3)."""

    def put_participant(
        self, referral: ProviderKey, participant: ParticipantOnProgramme, *, dirty: bool = True
    ) -> None:
        self.by_referral[referral] = participant
        self.referral_of[participant.participant_id] = referral
        if dirty:
            self.dirty_participants.add(referral)

    def displace(self, referral: ProviderKey) -> ParticipantOnProgramme | None:
        """§4 v3: the start under ``referral`` no longer stands; its participant is off
        programme until the start that displaced it arrives (it replaces the row)."""
        participant = self.by_referral.pop(referral, None)
        if participant is None:
            return None
        if self.referral_of.get(participant.participant_id) == referral:
            del self.referral_of[participant.participant_id]
        self.dirty_participants.discard(referral)
        self.displaced.append((participant.participant_id, *referral))
        return participant

    def participant(self, participant_id: str) -> ParticipantOnProgramme | None:
        referral = self.referral_of.get(participant_id)
        return self.by_referral.get(referral) if referral else None

    def add_resend(self, placement: ProviderKey, event_id: str, record: RawRecord) -> None:
        self.placements[placement].resends.append((event_id, record))
        self.new_resends.append((placement, event_id, record))

    def placements_of(self, participant_id: str) -> list[PlacementRecord]:
        return [self.placements[p] for p in self.tables.by_participant.get(participant_id, {})]

    def put_placement(self, record: PlacementRecord) -> None:
        self.keep_placement(record)
        self.dirty_placements.add(record.key)

    def keep_placement(self, record: PlacementRecord) -> None:
        """Hold ``record`` as it is stored (nothing to write)."""
        self.placements[record.key] = record
        self.tables.by_participant.setdefault(record.participant_id, {})[record.key] = None

    @abstractmethod
    async def load(
        self,
        participant_ids: Iterable[str],
        referrals: Iterable[ProviderKey],
        placements: Iterable[ProviderKey],
    ) -> None:
        """The participants named, and their placements with those named by key."""

    @abstractmethod
    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]: ...

    @abstractmethod
    async def flush(self) -> None: ...
