"""Provider events for whole-pipeline tests (the simulator, and the services on PostgreSQL).

Terse, valid events whose defaults fit the default contract ``whp-central`` (Camden,
programme start 2024-04-01, a Monday: the earnings threshold is 416 x 1144 = 475,904
pence). Event ids are derived from ``tag`` (default: the builder's arguments), so the
same logical event keeps its id in every arrival order; pass another ``tag`` for a
re-send under a new event id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind, ReferralSource
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)

PROVIDER = "prov-whp-central"
CONTRACT = "whp-central"
START = date(2024, 4, 1)
PRODUCED_AT = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
_IDS = uuid.UUID("7a0d3c1e-8f59-4f0e-9d7e-0c3b1c2d5e6f")


def event_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(_IDS, repr(parts))


def referral(
    referral_id: str = "ref-1",
    *,
    nino: str = "AB123456C",
    provider_id: str = PROVIDER,
    contract_id: str = CONTRACT,
    borough: str = "Camden",
    group: EligibilityGroup = EligibilityGroup.DISABILITY,
    subgroup: str | None = None,
    referral_date: date = date(2024, 3, 18),
    tag: str = "",
) -> ReferralMade:
    return ReferralMade(
        event_id=event_id("referral", referral_id, nino, provider_id, contract_id, group, tag),
        produced_at=PRODUCED_AT,
        provider_id=provider_id,
        contract_id=contract_id,
        referral_id=referral_id,
        nino=nino,
        date_of_birth=date(1990, 5, 17),
        borough=borough,
        eligibility_group=group,
        eligibility_subgroup=subgroup,
        referral_source=ReferralSource.JOBCENTRE,
        referral_date=referral_date,
    )


def programme_start(
    referral_id: str = "ref-1",
    *,
    start_date: date = START,
    provider_id: str = PROVIDER,
    tag: str = "",
) -> ProgrammeStarted:
    return ProgrammeStarted(
        event_id=event_id("start", referral_id, start_date, provider_id, tag),
        produced_at=PRODUCED_AT,
        provider_id=provider_id,
        referral_id=referral_id,
        start_date=start_date,
    )


def programme_end(
    referral_id: str = "ref-1",
    *,
    end_date: date,
    provider_id: str = PROVIDER,
    tag: str = "",
) -> ProgrammeEnded:
    return ProgrammeEnded(
        event_id=event_id("end", referral_id, end_date, provider_id, tag),
        produced_at=PRODUCED_AT,
        provider_id=provider_id,
        referral_id=referral_id,
        end_date=end_date,
        reason="moved away",
    )


def job_start(
    placement_id: str = "plc-1",
    *,
    referral_id: str = "ref-1",
    job_start_date: date = date(2024, 4, 15),
    wage: int | None = 1400,
    weekly_hours: Decimal | str = Decimal("37.5"),
    employment_type: EmploymentType = EmploymentType.EMPLOYED,
    provider_id: str = PROVIDER,
    tag: str = "",
) -> JobStarted:
    self_employed = employment_type is EmploymentType.SELF_EMPLOYED
    return JobStarted(
        event_id=event_id("job", placement_id, referral_id, job_start_date, wage, provider_id, tag),
        produced_at=PRODUCED_AT,
        provider_id=provider_id,
        referral_id=referral_id,
        placement_id=placement_id,
        job_start_date=job_start_date,
        employment_type=employment_type,
        hourly_wage_pence=None if self_employed else wage,
        weekly_hours=Decimal(weekly_hours),
        sic_sector="retail",
    )


def job_end(
    placement_id: str = "plc-1", *, end_date: date, provider_id: str = PROVIDER, tag: str = ""
) -> JobEnded:
    return JobEnded(
        event_id=event_id("job_end", placement_id, end_date, provider_id, tag),
        produced_at=PRODUCED_AT,
        provider_id=provider_id,
        placement_id=placement_id,
        end_date=end_date,
    )


def evidence(
    evidence_id: str,
    period_start: date,
    period_end: date,
    earnings_pence: int,
    *,
    hours: Decimal | str = Decimal("60"),
    placement_id: str = "plc-1",
    version: int = 1,
    kind: EvidenceKind = EvidenceKind.PAYSLIP,
    reported_on: date | None = None,
    provider_id: str = PROVIDER,
    tag: str = "",
) -> EvidenceSubmitted:
    return EvidenceSubmitted(
        event_id=event_id(
            "evidence", evidence_id, version, placement_id, period_end, earnings_pence, tag
        ),
        produced_at=PRODUCED_AT,
        provider_id=provider_id,
        placement_id=placement_id,
        evidence_id=evidence_id,
        version=version,
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        gross_earnings_pence=earnings_pence,
        hours_worked=Decimal(hours),
        reported_on=reported_on or period_end + timedelta(days=3),
    )


def retraction(
    evidence_id: str, *, provider_id: str = PROVIDER, tag: str = ""
) -> EvidenceRetracted:
    return EvidenceRetracted(
        event_id=event_id("retraction", evidence_id, provider_id, tag),
        produced_at=PRODUCED_AT,
        provider_id=provider_id,
        evidence_id=evidence_id,
    )
