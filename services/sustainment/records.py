"""What sustainment keeps, as its rules and both stores see it.

:class:`SustainmentStorage` is the repository port: the participants, placements and
evidence of one round (loaded or put), whole histories for the milestone rules, and the
milestones as last announced.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from schemas.common import EligibilityGroup, MilestoneKind
from services.common.provider_keys import ProviderKey
from services.sustainment.domain import (
    EvidenceFacts,
    ParticipantWindow,
    PlacementFacts,
    RecordedMilestone,
)


@dataclass
class ParticipantRecord:
    participant_id: str
    provider_id: str
    contract_id: str
    eligibility_group: EligibilityGroup
    window: ParticipantWindow
    referral_id: str | None = None
    """The referral of the start this window belongs to (None: recorded before v3)."""
    displaced: bool = False
    """The start was displaced by an earlier one (§4 v3): nothing counts until the
    winning start replaces this record."""

    def started_under(self, provider_id: str, referral_id: str) -> bool:
        """Is this the participant's standing start, under that provider's referral?"""
        if self.displaced or self.provider_id != provider_id:
            return False
        return self.referral_id is None or self.referral_id == referral_id


@dataclass
class PlacementRecord:
    facts: PlacementFacts
    participant_id: str
    provider_id: str
    end_date: date | None = None
    withdrawn: bool = False
    referral_id: str | None = None


@dataclass
class EvidenceRecord:
    facts: EvidenceFacts
    participant_id: str
    provider_id: str
    version: int
    retracted: bool = False


@dataclass(frozen=True)
class ParticipantHistory:
    """Everything the milestone rules need about one participant."""

    participant: ParticipantRecord
    placements: list[PlacementFacts]
    evidence: list[EvidenceFacts]
    recorded: dict[MilestoneKind, RecordedMilestone]


class SustainmentStorage(ABC):
    """Participants by id; placements and evidence by (provider_id, id): placement and
    evidence ids are the sending provider's own (domain.md v3 §9)."""

    def __init__(
        self,
        participants: dict[str, ParticipantRecord] | None = None,
        placements: dict[ProviderKey, PlacementRecord] | None = None,
        evidence: dict[ProviderKey, EvidenceRecord] | None = None,
    ) -> None:
        self.participants: dict[str, ParticipantRecord] = (
            {} if participants is None else participants
        )
        self.placements: dict[ProviderKey, PlacementRecord] = (
            {} if placements is None else placements
        )
        self.evidence: dict[ProviderKey, EvidenceRecord] = {} if evidence is None else evidence
        self.dirty_participants: set[str] = set()
        self.dirty_placements: set[ProviderKey] = set()
        self.dirty_evidence: set[ProviderKey] = set()
        self.displaced_starts: set[ProviderKey] = set()
        """Of the (provider, referral) starts loaded, those displaced (§4 v3)."""
        self.new_displaced: list[tuple[str, str, str]] = []

    def put_participant(self, record: ParticipantRecord) -> None:
        self.participants[record.participant_id] = record
        self.dirty_participants.add(record.participant_id)

    def put_placement(self, record: PlacementRecord) -> None:
        key = (record.provider_id, record.facts.placement_id)
        self.placements[key] = record
        self.dirty_placements.add(key)

    def mark_displaced(self, participant_id: str, start: ProviderKey) -> None:
        """Remember a displaced start (§4 v3): its placements never count."""
        self.displaced_starts.add(start)
        self.new_displaced.append((*start, participant_id))

    def placements_of(self, participant_id: str) -> list[PlacementRecord]:
        """The placements of ``participant_id`` loaded (all of them, once loaded as
        ``displaced_participants``)."""
        return [p for p in self.placements.values() if p.participant_id == participant_id]

    def put_evidence(self, record: EvidenceRecord) -> None:
        key = (record.provider_id, record.facts.evidence_id)
        self.evidence[key] = record
        self.dirty_evidence.add(key)

    @abstractmethod
    async def load(
        self,
        participant_ids: Iterable[str],
        placements: Iterable[ProviderKey],
        evidence: Iterable[ProviderKey],
        displaced_participants: Iterable[str] = (),
        starts: Iterable[ProviderKey] = (),
    ) -> None:
        """The participants, placements and evidence named; for
        ``displaced_participants`` also all their placements; of the (provider, referral)
        ``starts`` named, those displaced."""

    @abstractmethod
    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]: ...

    @abstractmethod
    async def flush(self) -> None: ...

    @abstractmethod
    async def histories(self, participant_ids: Sequence[str]) -> list[ParticipantHistory]:
        """Whole histories (after flush): withdrawn placements and retracted evidence
        left out; in participant id order."""

    @abstractmethod
    async def record_milestones(self, rows: Sequence[tuple[str, RecordedMilestone]]) -> None:
        """Keep what was announced; the last row for a (participant, milestone) wins."""
