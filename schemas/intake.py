"""Events owned by the intake service: pseudonymous participants, never a NINO."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from schemas.base import Event
from schemas.bounds import BoroughName, BoundedDate, ContractId, Id, Name, ProviderId, ReasonText
from schemas.common import (
    AgeBand,
    EligibilityGroup,
    NonEmptyStr,
    ReferralSource,
    RejectionReason,
    SubRegion,
)


class ParticipantStarted(Event):
    """A referral that started the programme. ``participant_id`` is an HMAC of the NINO."""

    type: Literal["participant_started"] = "participant_started"
    participant_id: NonEmptyStr
    referral_id: Id
    provider_id: ProviderId
    contract_id: ContractId
    sub_region: SubRegion
    borough: BoroughName
    eligibility_group: EligibilityGroup
    eligibility_subgroup: Name | None = None
    referral_source: ReferralSource
    age_band: AgeBand
    start_date: BoundedDate


class ParticipantLeft(Event):
    type: Literal["participant_left"] = "participant_left"
    participant_id: NonEmptyStr
    referral_id: Id
    provider_id: ProviderId
    contract_id: ContractId
    end_date: BoundedDate
    reason: ReasonText


class ParticipantDisplaced(Event):
    """The start of ``referral_id`` counts for nothing any more (domain.md §4, v3).

    The same person (same ``participant_id``) has an earlier start under another
    referral, which arrived later. Everything that followed from this start -- its
    placements, milestones and payments -- goes with it (withdrawn, revoked, reversed);
    its provider is told ``already_started``. The winning start follows as a
    ``participant_started`` on the same key.
    """

    type: Literal["participant_displaced"] = "participant_displaced"
    participant_id: NonEmptyStr
    referral_id: Id
    provider_id: ProviderId
    contract_id: ContractId
    start_date: BoundedDate
    reason: RejectionReason = RejectionReason.ALREADY_STARTED


ParticipantEvent = Annotated[
    ParticipantStarted | ParticipantLeft | ParticipantDisplaced, Field(discriminator="type")
]
PARTICIPANT_EVENT: TypeAdapter[ParticipantStarted | ParticipantLeft | ParticipantDisplaced] = (
    TypeAdapter(ParticipantEvent)
)
