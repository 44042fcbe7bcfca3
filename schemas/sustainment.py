"""Events owned by the sustainment service: milestones reached and revoked."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from schemas.base import Event
from schemas.common import EligibilityGroup, MilestoneKind, NonEmptyStr, RejectionReason


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
