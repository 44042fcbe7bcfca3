"""Placement rules (domain.md §5, §9): job starts and job ends.

Pure functions: no I/O, no clock. A rule failure is a :class:`Rejection`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from schemas.common import EmploymentType, RejectionReason
from schemas.provider import JobStarted
from services.common.reference import Rates, hours_in_hundredths
from services.common.rejection import Rejection

PLACEMENT_WINDOW_DAYS = 456
MAX_WEEKLY_HOURS_HUNDREDTHS = 100_00
_EVENT_ENVELOPE = frozenset({"event_id", "produced_at"})


@dataclass(frozen=True)
class ParticipantOnProgramme:
    """What placement knows about a started participant."""

    participant_id: str
    provider_id: str
    contract_id: str
    start_date: date
    leaver_date: date | None


@dataclass(frozen=True)
class JobAssessment:
    """An accepted job start and its flags."""

    pays_llw: bool
    below_minimum_wage: bool
    weekly_hours_hundredths: int


def assess_job_start(
    job: JobStarted, participant: ParticipantOnProgramme, rates: Rates
) -> Rejection | JobAssessment:
    """The first rule a job start breaks, or its assessment.

    Order (§5, §9): ``provider_mismatch``; ``after_programme_end`` (a job may start
    on the leaver date); ``placement_outside_window`` (start <= job start < start +
    456 days); ``invalid_job``.

    ``invalid_job`` covers: weekly hours not > 0 and <= 100, or with more than two
    decimal places; an employed job without a wage > 0, or with no NLW/LLW rate on
    the job start date; a self-employed job that gives a wage (a self-employed
    placement has no wage, so a wage contradicts the employment type). A
    self-employed job needs no rate and is never flagged.
    """
    rejection = _check_participant(job, participant)
    if rejection is not None:
        return rejection
    hours = hours_in_hundredths(job.weekly_hours)
    if hours is None or not 0 < hours <= MAX_WEEKLY_HOURS_HUNDREDTHS:
        return _invalid_job(
            f"weekly_hours {job.weekly_hours} must be > 0 and <= 100 with at most 2 decimal places"
        )
    if job.employment_type is EmploymentType.SELF_EMPLOYED:
        if job.hourly_wage_pence is not None:
            return _invalid_job(
                f"hourly_wage_pence {job.hourly_wage_pence} given for a self_employed job"
            )
        return JobAssessment(
            pays_llw=False, below_minimum_wage=False, weekly_hours_hundredths=hours
        )
    return _assess_employed(job, rates, hours)


def _check_participant(job: JobStarted, participant: ParticipantOnProgramme) -> Rejection | None:
    if job.provider_id != participant.provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"provider_id {job.provider_id!r} sent a job for referral {job.referral_id!r} "
            "of another provider",
        )
    start, leaver = participant.start_date, participant.leaver_date
    if leaver is not None and job.job_start_date > leaver:
        return Rejection(
            RejectionReason.AFTER_PROGRAMME_END,
            f"job_start_date {job.job_start_date} is after the leaver date {leaver}",
        )
    if not start <= job.job_start_date < start + timedelta(days=PLACEMENT_WINDOW_DAYS):
        return Rejection(
            RejectionReason.PLACEMENT_OUTSIDE_WINDOW,
            f"job_start_date {job.job_start_date} is not within {PLACEMENT_WINDOW_DAYS} "
            f"days of the programme start {start}",
        )
    return None


def _assess_employed(job: JobStarted, rates: Rates, hours: int) -> Rejection | JobAssessment:
    wage = job.hourly_wage_pence
    if wage is None or wage <= 0:
        return _invalid_job(f"hourly_wage_pence {wage} must be > 0 for an employed job")
    nlw = rates.nlw.rate_on(job.job_start_date)
    llw = rates.llw.rate_on(job.job_start_date)
    if nlw is None or llw is None:
        return _invalid_job(
            f"job_start_date {job.job_start_date} has no National/London Living Wage rate"
        )
    return JobAssessment(
        pays_llw=wage >= llw, below_minimum_wage=wage < nlw, weekly_hours_hundredths=hours
    )


def _invalid_job(message: str) -> Rejection:
    return Rejection(RejectionReason.INVALID_JOB, message)


def check_job_end(end_date: date, job_start_date: date) -> Rejection | None:
    """A job end before its job start is ``invalid_job``; ending on the start day is fine."""
    if end_date < job_start_date:
        return _invalid_job(f"end_date {end_date} is before the job start date {job_start_date}")
    return None


def same_job_content(a: JobStarted, b: JobStarted) -> bool:
    """True for a re-send: every field equal except ``event_id`` and ``produced_at``.

    Weekly hours compare by value (37.5 equals 37.50).
    """
    envelope = set(_EVENT_ENVELOPE)
    return a.model_dump(exclude=envelope) == b.model_dump(exclude=envelope)
