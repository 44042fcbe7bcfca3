"""Which evidence counts towards milestones (domain.md §6, "outcome window")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from schemas.common import EmploymentType, EvidenceKind

from .facts import EvidenceFacts, ParticipantWindow, PlacementFacts, kind_fits_employment


@dataclass(frozen=True)
class CountingEvidence:
    """A piece of counting evidence together with the placement it names."""

    evidence: EvidenceFacts
    placement: PlacementFacts

    @property
    def order_key(self) -> tuple[date, str]:
        """The rule book's ordering: (period end, evidence_id)."""
        return (self.evidence.period_end, self.evidence.evidence_id)

    @property
    def is_employed(self) -> bool:
        return self.placement.employment_type is EmploymentType.EMPLOYED

    @property
    def is_self_employment(self) -> bool:
        return self.evidence.kind is EvidenceKind.SELF_EMPLOYMENT


def index_placements(placements: Sequence[PlacementFacts]) -> dict[str, PlacementFacts]:
    """Placements by id. Ids are global and unique; a repeated id is a caller bug."""
    by_id: dict[str, PlacementFacts] = {}
    for placement in placements:
        if placement.placement_id in by_id:
            raise ValueError(f"placement_id {placement.placement_id} given twice")
        by_id[placement.placement_id] = placement
    return by_id


def counting_evidence(
    window: ParticipantWindow,
    placements: Sequence[PlacementFacts],
    evidence: Sequence[EvidenceFacts],
) -> list[CountingEvidence]:
    """The evidence that counts, ordered by (period end, evidence_id).

    Evidence counts when its placement is known, its period end is in the outcome window
    (which ends early on the leaver date) and on or after the placement's job start.
    Evidence whose kind does not fit its placement's employment type never passes
    intake; should it be given anyway it does not count.
    """
    by_id = index_placements(placements)
    seen: set[str] = set()
    counting: list[CountingEvidence] = []
    for piece in evidence:
        if piece.evidence_id in seen:
            raise ValueError(f"evidence_id {piece.evidence_id} given twice")
        seen.add(piece.evidence_id)
        placement = by_id.get(piece.placement_id)
        if placement is None or not kind_fits_employment(piece.kind, placement.employment_type):
            continue
        if window.contains(piece.period_end) and piece.period_end >= placement.job_start_date:
            counting.append(CountingEvidence(piece, placement))
    counting.sort(key=lambda c: c.order_key)
    return counting
