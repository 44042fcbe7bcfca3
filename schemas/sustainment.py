"""Events owned by the sustainment service: milestones reached and revoked."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schemas.base import Event
from schemas.bounds import BoundedDate, BoundedPence, Hours, Id, Version
from schemas.common import (
    EligibilityGroup,
    EvidenceKind,
    MilestoneKind,
    NonEmptyStr,
    RejectionReason,
)

MAX_PROGRESS_PENCE: Final = 10**15
"""Earnings counted for one participant: many pieces of evidence, each within bounds."""
MAX_PLACEMENTS_PER_PARTICIPANT: Final = 500
"""Per-placement facts carried in one progress event (a real participant has a few)."""

NonNegativePence = Annotated[int, Field(ge=0, description="Money in integer pence")]


class MilestonePrice(BaseModel):
    """What a milestone is worth under its contract, as sustainment decided it (§7, §9).

    ``base_pence`` is the contract (or group) price, ``uplift_pence`` the LLW uplift; both
    0 when the contract does not pay for the milestone. ``contract_version``: the version
    of the contract the price was read from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    contract_version: NonEmptyStr
    base_pence: NonNegativePence
    uplift_pence: NonNegativePence

    @property
    def amount_pence(self) -> int:
        return self.base_pence + self.uplift_pence


class MilestoneReached(Event):
    """A participant reached a milestone (its ``occurrence``-th time, counting revocations).

    ``job_pays_llw`` is the LLW flag of the job behind the milestone: the outcome job for
    ``earnings_outcome``, the first placement for ``sustained_*`` and ``job_start``.
    ``payable`` is false with ``not_payable_reason`` when the rule book says so
    (``claim_late`` for a late self-employment claim, ``superseded`` for the outcome
    reached second). Sustainment decides both from the evidence as it stands; when they
    or the LLW flag change the amount due, the milestone is revoked and reached again
    as a new occurrence (domain.md §7). ``source_produced_at``: when the provider
    produced the latest event that led to this announcement (for payment latency).
    ``price``: what the milestone is worth under the contract, decided once by
    sustainment (with ``payable``) and paid as given by payments; None only on an
    announcement written before the field existed.
    """

    type: Literal["milestone_reached"] = "milestone_reached"
    participant_id: NonEmptyStr
    provider_id: NonEmptyStr
    contract_id: NonEmptyStr
    eligibility_group: EligibilityGroup
    milestone: MilestoneKind
    occurrence: Annotated[int, Field(ge=1)]
    reached_on: date
    job_pays_llw: bool
    placement_id: NonEmptyStr | None = None
    evidence_ids: tuple[str, ...] = ()
    payable: bool = True
    not_payable_reason: RejectionReason | None = None
    source_produced_at: AwareDatetime | None = None
    price: MilestonePrice | None = None


class MilestoneRevoked(Event):
    """A milestone previously reached is no longer reached (evidence replaced/retracted)."""

    type: Literal["milestone_revoked"] = "milestone_revoked"
    participant_id: NonEmptyStr
    provider_id: NonEmptyStr
    contract_id: NonEmptyStr
    milestone: MilestoneKind
    occurrence: Annotated[int, Field(ge=1)]


MilestoneEvent = Annotated[MilestoneReached | MilestoneRevoked, Field(discriminator="type")]
MILESTONE_EVENT: TypeAdapter[MilestoneReached | MilestoneRevoked] = TypeAdapter(MilestoneEvent)


class PlacementEvidenceEnd(BaseModel):
    """The latest period end of one placement's counting evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    placement_id: Id
    latest_period_end: BoundedDate


class EvidenceProgress(Event):
    """What the evidence counted so far for one participant, after each change of it.

    For the views (domain.md §11: projected dates, evidence due), never for money:
    earnings counted toward the threshold, in-work weeks, self-employment days, and the
    latest counting evidence's period end (overall and per placement). Emitted by
    sustainment whenever it recomputes the participant's milestones; the latest one
    (in topic order, keyed by participant) is the current one.
    """

    type: Literal["evidence_progress"] = "evidence_progress"
    participant_id: NonEmptyStr
    provider_id: NonEmptyStr
    contract_id: NonEmptyStr
    earnings_threshold_pence: BoundedPence
    weekly_hours_min: Hours
    counted_earnings_pence: Annotated[int, Field(ge=0, le=MAX_PROGRESS_PENCE)]
    latest_employed_evidence_end: BoundedDate | None = None
    in_work_weeks: Annotated[int, Field(ge=0, le=1000)]
    self_employment_days: Annotated[int, Field(ge=0, le=10_000)]
    latest_self_employment_end: BoundedDate | None = None
    placements: Annotated[
        tuple[PlacementEvidenceEnd, ...], Field(max_length=MAX_PLACEMENTS_PER_PARTICIPANT)
    ] = ()


class EvidenceRecorded(Event):
    """A version of an evidence that sustainment accepted (it replaces lower versions)."""

    type: Literal["evidence_recorded"] = "evidence_recorded"
    participant_id: NonEmptyStr
    provider_id: NonEmptyStr
    placement_id: Id
    evidence_id: Id
    version: Version
    kind: EvidenceKind
    period_start: BoundedDate
    period_end: BoundedDate
    gross_earnings_pence: BoundedPence
    hours_worked: Hours
    reported_on: BoundedDate


class EvidenceRemoved(Event):
    """An evidence retracted by its provider: it no longer counts (any version)."""

    type: Literal["evidence_removed"] = "evidence_removed"
    participant_id: NonEmptyStr
    provider_id: NonEmptyStr
    evidence_id: Id


EvidenceLedgerEvent = Annotated[
    EvidenceProgress | EvidenceRecorded | EvidenceRemoved, Field(discriminator="type")
]
EVIDENCE_LEDGER_EVENT: TypeAdapter[EvidenceProgress | EvidenceRecorded | EvidenceRemoved] = (
    TypeAdapter(EvidenceLedgerEvent)
)
