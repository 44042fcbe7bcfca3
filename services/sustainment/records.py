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


@dataclass
class PlacementRecord:
    facts: PlacementFacts
    participant_id: str
    provider_id: str
    end_date: date | None = None
    withdrawn: bool = False


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
    def __init__(
        self,
        participants: dict[str, ParticipantRecord] | None = None,
        placements: dict[str, PlacementRecord] | None = None,
        evidence: dict[str, EvidenceRecord] | None = None,
    ) -> None:
        self.participants: dict[str, ParticipantRecord] = (
            {} if participants is None else participants
        )
        self.placements: dict[str, PlacementRecord] = {} if placements is None else placements
        self.evidence: dict[str, EvidenceRecord] = {} if evidence is None else evidence
        self.dirty_participants: set[str] = set()
        self.dirty_placements: set[str] = set()
        self.dirty_evidence: set[str] = set()

    def put_participant(self, record: ParticipantRecord) -> None:
        self.participants[record.participant_id] = record
        self.dirty_participants.add(record.participant_id)

    def put_placement(self, record: PlacementRecord) -> None:
        self.placements[record.facts.placement_id] = record
        self.dirty_placements.add(record.facts.placement_id)

    def put_evidence(self, record: EvidenceRecord) -> None:
        self.evidence[record.facts.evidence_id] = record
        self.dirty_evidence.add(record.facts.evidence_id)

    @abstractmethod
    async def load(
        self,
        participant_ids: Iterable[str],
        placement_ids: Iterable[str],
        evidence_ids: Iterable[str],
    ) -> None:
        """The participants, placements and evidence named."""

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
