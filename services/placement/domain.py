"""Placement rules (domain.md §5, §9): job starts and job ends.

Pure functions: no I/O, no clock. A rule failure is a :class:`Rejection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypedDict

from schemas.common import EmploymentType, RejectionReason
from schemas.provider import JobStarted
from services.common.decisions import ACCEPT, IGNORE, Accept, Hold, Ignore, behind_held
from services.common.provider_keys import release_key
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


class PlacementOfParticipant(TypedDict):
    """The fields every placements event starts with (``Event(**job.about(), ...)``)."""

    participant_id: str
    placement_id: str
    provider_id: str


@dataclass(frozen=True)
class StoredJob:
    """An accepted job start as placement keeps it; ``withdrawn`` once found to start
    after a later-arriving leaver date (§5)."""

    job: JobStarted
    participant_id: str
    withdrawn: bool = False
    source_event_id: str | None = None
    """The event id the job start arrived with (its ``event_id`` if not known)."""

    @property
    def job_start_event_id(self) -> str:
        return self.source_event_id or str(self.job.event_id)

    def about(self) -> PlacementOfParticipant:
        """Who and what a placements event is about: the person and the placement."""
        return PlacementOfParticipant(
            participant_id=self.participant_id,
            placement_id=self.job.placement_id,
            provider_id=self.job.provider_id,
        )


def decide_job_start(
    job: JobStarted,
    stored: StoredJob | None,
    participant: ParticipantOnProgramme | None,
    rates: Rates,
    *,
    held_before: Sequence[str] = (),
) -> Rejection | Hold | Ignore | JobAssessment:
    """What to do with a job start (§5, §9, §10 "Checks before holds").

    1. ``invalid_job`` rules that need nothing else (hours, wage, rates): never held;
       then an earlier start of the placement id held (``held_before``: what the held
       inputs of the placement id wait for): held behind it, so the first of two
       conflicting starts stands (:func:`behind_held`);
    2. the placement id already used (``stored``: the sender's own placement of that id,
       ids being per provider, v3 §9): by another provider ``provider_mismatch``, with
       other content ``invalid_job``, the same content again is ignored -- unless it
       was withdrawn, when it is judged afresh (and so rejected as it would have been);
    3. the participant not started yet: held until ``referral:<provider_id>:<id>``;
    4. ``provider_mismatch``, ``after_programme_end``, ``placement_outside_window``.
    """
    assessment = check_job_alone(job, rates)
    if isinstance(assessment, Rejection):
        return assessment
    behind = behind_held(
        held_before, releases=release_key("placement", job.provider_id, job.placement_id)
    )
    if behind is not None:
        return behind
    if stored is not None:
        if stored.job.provider_id != job.provider_id:
            return Rejection(
                RejectionReason.PROVIDER_MISMATCH,
                f"placement_id {job.placement_id!r} belongs to another provider",
            )
        if not same_job_content(stored.job, job):
            return _invalid_job(
                f"placement_id {job.placement_id!r} was already used with other content"
            )
        if not stored.withdrawn:
            return IGNORE
    if participant is None:
        return Hold(release_key("referral", job.provider_id, job.referral_id))
    rejection = _check_participant(job, participant)
    return assessment if rejection is None else rejection


def assess_job_start(
    job: JobStarted, participant: ParticipantOnProgramme, rates: Rates
) -> Rejection | JobAssessment:
    """The first rule a job start breaks, or its assessment.

    Order (§10 first: the rules that need nothing but the job start come before those
    that need its participant, so holding never changes the reason): ``invalid_job``;
    then (§5, §9) ``provider_mismatch``; ``after_programme_end`` (a job may start on
    the leaver date); ``placement_outside_window`` (start <= job start < start + 456
    days).
    """
    assessment = check_job_alone(job, rates)
    if isinstance(assessment, Rejection):
        return assessment
    rejection = _check_participant(job, participant)
    return assessment if rejection is None else rejection


def check_job_alone(job: JobStarted, rates: Rates) -> Rejection | JobAssessment:
    """The ``invalid_job`` rules, which need nothing but the job start and the rates.

    ``invalid_job`` covers: weekly hours not > 0 and <= 100, or with more than two
    decimal places; an employed job without a wage > 0, or with no NLW/LLW rate on
    the job start date; a self-employed job that gives a wage (a self-employed
    placement has no wage, so a wage contradicts the employment type). A
    self-employed job needs no rate and is never flagged.
    """
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


def decide_job_end(
    placement_id: str,
    provider_id: str,
    end_date: date,
    stored: StoredJob | None,
    current_end: date | None,
    *,
    held_before: Sequence[str] = (),
) -> Rejection | Hold | Ignore | Accept:
    """An earlier input of the placement id held: held behind it (arrival order, the
    later end date stands); unknown (or withdrawn) placement: held; ``provider_mismatch``;
    ``invalid_job`` (end before start); the same end date again is ignored."""
    behind = behind_held(held_before)
    if behind is not None:
        return behind
    if stored is None or stored.withdrawn:
        return Hold(release_key("placement", provider_id, placement_id))
    if stored.job.provider_id != provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"placement {placement_id!r} belongs to another provider",
        )
    rejection = check_job_end(end_date, stored.job.job_start_date)
    if rejection is not None:
        return rejection
    return IGNORE if current_end == end_date else ACCEPT


def to_withdraw(leaver_date: date, placements: Iterable[StoredJob]) -> list[StoredJob]:
    """The accepted placements that start after a leaver date that arrived after them
    (§5): they are withdrawn, in (provider_id, placement_id) order."""
    return sorted(
        (p for p in placements if not p.withdrawn and p.job.job_start_date > leaver_date),
        key=lambda p: (p.job.provider_id, p.job.placement_id),
    )


def to_withdraw_displaced(
    referral: tuple[str, str], placements: Iterable[StoredJob]
) -> list[StoredJob]:
    """The accepted placements confirmed under a programme start that is displaced
    (§4 v3): all of that (provider, referral)'s placements not withdrawn yet, in
    placement_id order."""
    return sorted(
        (
            p
            for p in placements
            if not p.withdrawn and (p.job.provider_id, p.job.referral_id) == referral
        ),
        key=lambda p: p.job.placement_id,
    )


def withdrawal_message(job: JobStarted, leaver_date: date) -> str:
    return (
        f"job_start_date {job.job_start_date} is after the leaver date {leaver_date}, "
        f"which arrived later: placement {job.placement_id!r} is withdrawn"
    )


def same_job_content(a: JobStarted, b: JobStarted) -> bool:
    """True for a re-send: every field equal except ``event_id`` and ``produced_at``.

    Weekly hours compare by value (37.5 equals 37.50).
    """
    envelope = set(_EVENT_ENVELOPE)
    return a.model_dump(exclude=envelope) == b.model_dump(exclude=envelope)
