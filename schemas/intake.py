"""Events owned by the intake service: pseudonymous participants, never a NINO."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from schemas.base import Event
from schemas.common import AgeBand, EligibilityGroup, NonEmptyStr, ReferralSource, SubRegion


class ParticipantStarted(Event):
    """A referral that started the programme. ``participant_id`` is an HMAC of the NINO."""

    type: Literal["participant_started"] = "participant_started"
    participant_id: NonEmptyStr
    referral_id: NonEmptyStr
    provider_id: NonEmptyStr
    contract_id: NonEmptyStr
    sub_region: SubRegion
    borough: NonEmptyStr
    eligibility_group: EligibilityGroup
    eligibility_subgroup: NonEmptyStr | None = None
    referral_source: ReferralSource
    age_band: AgeBand
    start_date: date


class ParticipantLeft(Event):
    type: Literal["participant_left"] = "participant_left"
    participant_id: NonEmptyStr
    referral_id: NonEmptyStr
    provider_id: NonEmptyStr
    contract_id: NonEmptyStr
    end_date: date
    reason: NonEmptyStr


ParticipantEvent = Annotated[ParticipantStarted | ParticipantLeft, Field(discriminator="type")]
PARTICIPANT_EVENT: TypeAdapter[ParticipantStarted | ParticipantLeft] = TypeAdapter(ParticipantEvent)
