"""Vocabulary shared by the event models: enumerations from the rule book."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

Pence = Annotated[int, Field(description="Money in integer pence")]
NonEmptyStr = Annotated[str, Field(min_length=1, max_length=200)]


class SubRegion(StrEnum):
    CENTRAL = "central"
    WEST = "west"
    LOCAL = "local"
    SOUTH = "south"
    NATIONAL = "national"


class EligibilityGroup(StrEnum):
    DISABILITY = "disability"
    EARLY_ACCESS = "early_access"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"


class ReferralSource(StrEnum):
    JOBCENTRE = "jobcentre"
    SELF = "self"
    LOCAL_AUTHORITY = "local_authority"
    NHS = "nhs"
    SIGNPOSTING = "signposting"


class AgeBand(StrEnum):
    YOUNG = "16-24"
    MIDDLE = "25-49"
    OLDER = "50+"


class EmploymentType(StrEnum):
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"


class EvidenceKind(StrEnum):
    PAYSLIP = "payslip"
    HMRC_RTI = "hmrc_rti"
    EMPLOYER_CONFIRMATION = "employer_confirmation"
    SELF_EMPLOYMENT = "self_employment"


class MilestoneKind(StrEnum):
    JOB_START = "job_start"
    FIRST_EARNINGS = "first_earnings"
    EARNINGS_OUTCOME = "earnings_outcome"
    SELF_EMPLOYMENT_OUTCOME = "self_employment_outcome"
    SUSTAINED_13W = "sustained_13w"
    SUSTAINED_26W = "sustained_26w"
    SUSTAINED_52W = "sustained_52w"


class RejectionReason(StrEnum):
    """Reason codes of rejections and of not-payable decisions (domain.md §4-§8)."""

    INVALID_SCHEMA = "invalid_schema"
    INVALID_NINO = "invalid_nino"
    NOT_WORKING_AGE = "not_working_age"
    BOROUGH_OUTSIDE_CONTRACT = "borough_outside_contract"
    PROVIDER_NOT_ON_CONTRACT = "provider_not_on_contract"
    ALREADY_STARTED = "already_started"
    START_BEFORE_REFERRAL = "start_before_referral"
    START_OUTSIDE_CONTRACT = "start_outside_contract"
    CONFLICTING_REFERRAL = "conflicting_referral"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    UNKNOWN_PLACEMENT = "unknown_placement"
    UNKNOWN_EVIDENCE = "unknown_evidence"
    PROVIDER_MISMATCH = "provider_mismatch"
    AFTER_PROGRAMME_END = "after_programme_end"
    PLACEMENT_OUTSIDE_WINDOW = "placement_outside_window"
    INVALID_JOB = "invalid_job"
    INVALID_PERIOD = "invalid_period"
    INVALID_EVIDENCE = "invalid_evidence"
    DUPLICATE_EVENT_ID = "duplicate_event_id"
    """An event_id already processed, with other content (domain.md v2 §10)."""
    CLAIM_LATE = "claim_late"
    SUPERSEDED = "superseded"
    PROCESSING_FAILED = "processing_failed"
    """Not a rule failure: the service could not process the event (a bug); kept, not lost."""
