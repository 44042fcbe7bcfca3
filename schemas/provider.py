"""Inbound events that providers publish (owner: providers).

Every field is bounded (schemas/bounds.py, table in docs/events.md): a value outside
its bounds, a value outside an enumeration, a version below 1, a NUL character, hours
written as a JSON number or with an exponent are all ``invalid_schema``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, TypeAdapter, model_validator

from schemas.base import ProviderEvent
from schemas.bounds import (
    BoroughName,
    BoundedDate,
    BoundedPence,
    ContractId,
    Hours,
    Id,
    Name,
    NinoText,
    ReasonText,
    Version,
)
from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind, ReferralSource


class ReferralMade(ProviderEvent):
    """A person referred to a provider on a contract. The NINO stays in intake.

    An ``early_access`` referral must name its ``eligibility_subgroup``.
    """

    type: Literal["referral"] = "referral"
    contract_id: ContractId
    referral_id: Id
    nino: NinoText
    date_of_birth: BoundedDate
    borough: BoroughName
    eligibility_group: EligibilityGroup
    eligibility_subgroup: Name | None = Field(
        default=None, description="Required for early_access (e.g. care_leaver)"
    )
    referral_source: ReferralSource
    referral_date: BoundedDate

    @model_validator(mode="after")
    def _early_access_names_its_subgroup(self) -> Self:
        if self.eligibility_group is EligibilityGroup.EARLY_ACCESS and not (
            self.eligibility_subgroup
        ):
            raise ValueError("an early_access referral must name its eligibility_subgroup")
        return self


class ProgrammeStarted(ProviderEvent):
    type: Literal["programme_start"] = "programme_start"
    referral_id: Id
    start_date: BoundedDate


class ProgrammeEnded(ProviderEvent):
    """A leaver: the participant left the programme on ``end_date``."""

    type: Literal["programme_end"] = "programme_end"
    referral_id: Id
    end_date: BoundedDate
    reason: ReasonText


IntakeEvent = Annotated[
    ReferralMade | ProgrammeStarted | ProgrammeEnded, Field(discriminator="type")
]
INTAKE_EVENT: TypeAdapter[ReferralMade | ProgrammeStarted | ProgrammeEnded] = TypeAdapter(
    IntakeEvent
)


class JobStarted(ProviderEvent):
    """A job start. ``hourly_wage_pence`` for employed jobs only; hours as a string."""

    type: Literal["job_start"] = "job_start"
    referral_id: Id
    placement_id: Id
    job_start_date: BoundedDate
    employment_type: EmploymentType
    hourly_wage_pence: BoundedPence | None = None
    weekly_hours: Hours
    employer_name: Name | None = None
    sic_sector: Name | None = None


class JobEnded(ProviderEvent):
    type: Literal["job_end"] = "job_end"
    placement_id: Id
    end_date: BoundedDate


PlacementEvent = Annotated[JobStarted | JobEnded, Field(discriminator="type")]
PLACEMENT_EVENT: TypeAdapter[JobStarted | JobEnded] = TypeAdapter(PlacementEvent)


class EvidenceSubmitted(ProviderEvent):
    """In-work evidence for one placement over one period (inclusive, <= 35 days)."""

    type: Literal["evidence"] = "evidence"
    placement_id: Id
    evidence_id: Id
    version: Version = 1
    kind: EvidenceKind
    period_start: BoundedDate
    period_end: BoundedDate
    gross_earnings_pence: BoundedPence
    hours_worked: Hours
    reported_on: BoundedDate


class EvidenceRetracted(ProviderEvent):
    type: Literal["evidence_retraction"] = "evidence_retraction"
    evidence_id: Id


EvidenceEvent = Annotated[EvidenceSubmitted | EvidenceRetracted, Field(discriminator="type")]
EVIDENCE_EVENT: TypeAdapter[EvidenceSubmitted | EvidenceRetracted] = TypeAdapter(EvidenceEvent)
