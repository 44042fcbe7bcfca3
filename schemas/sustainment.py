"""Events owned by the sustainment service: milestones reached and revoked."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schemas.base import Event
from schemas.common import EligibilityGroup, MilestoneKind, NonEmptyStr, RejectionReason

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
