"""Inbound events that providers publish (owner: providers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from schemas.base import ProviderEvent
from schemas.common import (
    EligibilityGroup,
    EmploymentType,
    EvidenceKind,
    NonEmptyStr,
    Pence,
    ReferralSource,
)


class ReferralMade(ProviderEvent):
    """A person referred to a provider on a contract. The NINO stays in intake."""

    type: Literal["referral"] = "referral"
    contract_id: NonEmptyStr
    referral_id: NonEmptyStr
    nino: Annotated[str, Field(min_length=1, max_length=20)]
    date_of_birth: date
    borough: NonEmptyStr
    eligibility_group: EligibilityGroup
    eligibility_subgroup: NonEmptyStr | None = None
    referral_source: ReferralSource
    referral_date: date


class ProgrammeStarted(ProviderEvent):
    type: Literal["programme_start"] = "programme_start"
    referral_id: NonEmptyStr
    start_date: date


class ProgrammeEnded(ProviderEvent):
    """A leaver: the participant left the programme on ``end_date``."""

    type: Literal["programme_end"] = "programme_end"
    referral_id: NonEmptyStr
    end_date: date
    reason: NonEmptyStr


IntakeEvent = Annotated[
    ReferralMade | ProgrammeStarted | ProgrammeEnded, Field(discriminator="type")
]
INTAKE_EVENT: TypeAdapter[ReferralMade | ProgrammeStarted | ProgrammeEnded] = TypeAdapter(
    IntakeEvent
)


class JobStarted(ProviderEvent):
    type: Literal["job_start"] = "job_start"
    referral_id: NonEmptyStr
    placement_id: NonEmptyStr
    job_start_date: date
    employment_type: EmploymentType
    hourly_wage_pence: Pence | None = None
    weekly_hours: Decimal
    employer_name: NonEmptyStr | None = None
    sic_sector: NonEmptyStr | None = None


class JobEnded(ProviderEvent):
    type: Literal["job_end"] = "job_end"
    placement_id: NonEmptyStr
    end_date: date


PlacementEvent = Annotated[JobStarted | JobEnded, Field(discriminator="type")]
PLACEMENT_EVENT: TypeAdapter[JobStarted | JobEnded] = TypeAdapter(PlacementEvent)


class EvidenceSubmitted(ProviderEvent):
    """In-work evidence for one placement over one period (inclusive, <= 35 days)."""

    type: Literal["evidence"] = "evidence"
    placement_id: NonEmptyStr
    evidence_id: NonEmptyStr
    version: Annotated[int, Field(ge=1)] = 1
    kind: EvidenceKind
    period_start: date
    period_end: date
    gross_earnings_pence: Pence
    hours_worked: Decimal
    reported_on: date


class EvidenceRetracted(ProviderEvent):
    type: Literal["evidence_retraction"] = "evidence_retraction"
    evidence_id: NonEmptyStr


EvidenceEvent = Annotated[EvidenceSubmitted | EvidenceRetracted, Field(discriminator="type")]
EVIDENCE_EVENT: TypeAdapter[EvidenceSubmitted | EvidenceRetracted] = TypeAdapter(EvidenceEvent)
