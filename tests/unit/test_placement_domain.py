"""Placement rules: job start assessment, flags, windows, job ends and re-sends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from schemas.common import EmploymentType, RejectionReason
from schemas.provider import JobStarted
from services.common.reference import load_rates
from services.common.rejection import Rejection
from services.placement.domain import (
    JobAssessment,
    ParticipantOnProgramme,
    assess_job_start,
    check_job_end,
    same_job_content,
)
from tests.builders import pinned_job_start

RATES = load_rates()
PROGRAMME_START = date(2024, 1, 10)
DAY_455 = date(2025, 4, 9)
DAY_456 = date(2025, 4, 10)


def participant(**changes: Any) -> ParticipantOnProgramme:
    fields: dict[str, Any] = {
        "participant_id": "p-1",
        "provider_id": "prov-whp-central",
        "contract_id": "whp-central",
        "start_date": PROGRAMME_START,
        "leaver_date": None,
    }
    fields.update(changes)
    return ParticipantOnProgramme(**fields)


def job(**changes: Any) -> JobStarted:
    return pinned_job_start(**changes)


def reason_of(outcome: Rejection | JobAssessment) -> RejectionReason | None:
    return outcome.reason if isinstance(outcome, Rejection) else None


def assessed(outcome: Rejection | JobAssessment) -> JobAssessment:
    assert isinstance(outcome, JobAssessment), outcome
    return outcome


# --- accepted jobs and their flags ---------------------------------------


def test_an_employed_job_between_nlw_and_llw() -> None:
    # 2024-06-03: NLW 1144, LLW 1315; wage 1200 is neither below NLW nor at LLW.
    assert assess_job_start(job(), participant(), RATES) == JobAssessment(
        pays_llw=False, below_minimum_wage=False, weekly_hours_hundredths=3750
    )


@pytest.mark.parametrize(
    ("start", "wage", "pays_llw"),
    [
        (date(2024, 10, 31), 1315, True),  # LLW 1315 in force
        (date(2024, 10, 31), 1314, False),
        (date(2024, 11, 1), 1315, False),  # LLW rose to 1385
        (date(2024, 11, 1), 1384, False),
        (date(2024, 11, 1), 1385, True),
    ],
)
def test_pays_llw_at_the_llw_in_force_on_the_job_start(
    start: date, wage: int, pays_llw: bool
) -> None:
    outcome = assess_job_start(
        job(job_start_date=start, hourly_wage_pence=wage), participant(), RATES
    )
    assert assessed(outcome).pays_llw is pays_llw


@pytest.mark.parametrize(
    ("start", "wage", "below"),
    [
        (date(2024, 3, 31), 1042, False),  # NLW 1042
        (date(2024, 3, 31), 1041, True),
        (date(2024, 4, 1), 1042, True),  # NLW rose to 1144
        (date(2024, 4, 1), 1143, True),
        (date(2024, 4, 1), 1144, False),
    ],
)
def test_below_minimum_wage_at_the_nlw_in_force(start: date, wage: int, below: bool) -> None:
    outcome = assess_job_start(
        job(job_start_date=start, hourly_wage_pence=wage), participant(), RATES
    )
    flags = assessed(outcome)
    assert flags.below_minimum_wage is below
    assert flags.pays_llw is False


def test_a_below_minimum_wage_job_is_still_accepted() -> None:
    outcome = assess_job_start(job(hourly_wage_pence=1), participant(), RATES)
    assert assessed(outcome).below_minimum_wage is True


def test_a_self_employed_job_has_no_flags() -> None:
    outcome = assess_job_start(
        job(employment_type=EmploymentType.SELF_EMPLOYED, hourly_wage_pence=None),
        participant(),
        RATES,
    )
    assert outcome == JobAssessment(
        pays_llw=False, below_minimum_wage=False, weekly_hours_hundredths=3750
    )


def test_a_self_employed_job_needs_no_rate() -> None:
    early = participant(start_date=date(2015, 1, 5))
    outcome = assess_job_start(
        job(
            employment_type=EmploymentType.SELF_EMPLOYED,
            hourly_wage_pence=None,
            job_start_date=date(2015, 2, 1),
        ),
        early,
        RATES,
    )
    assert isinstance(outcome, JobAssessment)


# --- participant rules and their order -----------------------------------


def test_another_providers_participant_is_provider_mismatch() -> None:
    outcome = assess_job_start(job(provider_id="prov-whp-west"), participant(), RATES)
    assert reason_of(outcome) is RejectionReason.PROVIDER_MISMATCH


@pytest.mark.parametrize(
    ("leaver", "start", "reason"),
    [
        (date(2024, 6, 3), date(2024, 6, 3), None),  # on the leaver date is fine
        (date(2024, 6, 3), date(2024, 6, 4), RejectionReason.AFTER_PROGRAMME_END),
        (date(2024, 6, 3), date(2024, 6, 2), None),
    ],
)
def test_leaver_date(leaver: date, start: date, reason: RejectionReason | None) -> None:
    outcome = assess_job_start(job(job_start_date=start), participant(leaver_date=leaver), RATES)
    assert reason_of(outcome) is reason


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (date(2024, 1, 9), RejectionReason.PLACEMENT_OUTSIDE_WINDOW),  # before the start
        (PROGRAMME_START, None),  # day 0
        (DAY_455, None),
        (DAY_456, RejectionReason.PLACEMENT_OUTSIDE_WINDOW),
    ],
)
def test_placement_window(start: date, reason: RejectionReason | None) -> None:
    outcome = assess_job_start(job(job_start_date=start), participant(), RATES)
    assert reason_of(outcome) is reason


@pytest.mark.parametrize(
    ("job_changes", "participant_changes", "reason"),
    [
        # v2 §10 "checks before holds": the rules that need nothing but the job start
        # come first, so a job start held for its participant keeps its reason.
        (
            {"provider_id": "x", "job_start_date": DAY_456, "hourly_wage_pence": 0},
            {"leaver_date": date(2024, 2, 1)},
            RejectionReason.INVALID_JOB,
        ),
        (
            {"provider_id": "x", "job_start_date": DAY_456},
            {"leaver_date": date(2024, 2, 1)},
            RejectionReason.PROVIDER_MISMATCH,
        ),
        (
            {"job_start_date": DAY_456},
            {"leaver_date": date(2024, 2, 1)},
            RejectionReason.AFTER_PROGRAMME_END,
        ),
        (
            {"job_start_date": DAY_456},
            {},
            RejectionReason.PLACEMENT_OUTSIDE_WINDOW,
        ),
    ],
)
def test_the_first_broken_rule_wins(
    job_changes: dict[str, Any], participant_changes: dict[str, Any], reason: RejectionReason
) -> None:
    outcome = assess_job_start(job(**job_changes), participant(**participant_changes), RATES)
    assert reason_of(outcome) is reason


# --- invalid jobs --------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "accepted"),
    [
        (Decimal("100"), True),
        (Decimal("100.00"), True),
        (Decimal("0.01"), True),
        (Decimal("37.550"), True),
        (Decimal("100.01"), False),
        (Decimal("0"), False),
        (Decimal("37.555"), False),
    ],
)
def test_weekly_hours(hours: Decimal, accepted: bool) -> None:
    outcome = assess_job_start(job(weekly_hours=hours), participant(), RATES)
    if accepted:
        assert isinstance(outcome, JobAssessment)
    else:
        assert reason_of(outcome) is RejectionReason.INVALID_JOB
        assert "weekly_hours" in str(outcome)


def test_weekly_hours_are_exact_hundredths() -> None:
    outcome = assess_job_start(job(weekly_hours=Decimal("16.25")), participant(), RATES)
    assert assessed(outcome).weekly_hours_hundredths == 1625


@pytest.mark.parametrize("wage", [None, 0])  # negative: invalid_schema (test_bounds)
def test_an_employed_job_needs_a_positive_wage(wage: int | None) -> None:
    outcome = assess_job_start(job(hourly_wage_pence=wage), participant(), RATES)
    assert reason_of(outcome) is RejectionReason.INVALID_JOB
    assert "hourly_wage_pence" in str(outcome)


@pytest.mark.parametrize("wage", [0, 1200])
def test_a_self_employed_job_with_a_wage_is_invalid(wage: int) -> None:
    outcome = assess_job_start(
        job(employment_type=EmploymentType.SELF_EMPLOYED, hourly_wage_pence=wage),
        participant(),
        RATES,
    )
    assert reason_of(outcome) is RejectionReason.INVALID_JOB


@pytest.mark.parametrize(
    "start",
    [
        date(2015, 6, 1),  # before the first NLW (2016-04-01)
        date(2016, 5, 1),  # NLW in force, but before the first LLW (2016-11-01)
    ],
)
def test_no_rate_on_the_job_start_date_is_invalid(start: date) -> None:
    outcome = assess_job_start(
        job(job_start_date=start), participant(start_date=date(2015, 5, 1)), RATES
    )
    assert reason_of(outcome) is RejectionReason.INVALID_JOB
    assert "Living Wage" in str(outcome)


# --- job ends and re-sends -----------------------------------------------


@pytest.mark.parametrize(
    ("end", "reason"),
    [
        (date(2024, 6, 2), RejectionReason.INVALID_JOB),
        (date(2024, 6, 3), None),
        (date(2024, 12, 31), None),
    ],
)
def test_job_end(end: date, reason: RejectionReason | None) -> None:
    rejection = check_job_end(end, date(2024, 6, 3))
    assert (rejection.reason if rejection else None) is reason


def test_a_re_send_is_the_same_job() -> None:
    resent = job(
        event_id=UUID("00000000-0000-4000-8000-000000000012"),
        produced_at=datetime(2024, 6, 2, 9, 0, tzinfo=UTC),
        weekly_hours=Decimal("37.50"),
    )
    assert same_job_content(job(), resent)


@pytest.mark.parametrize(
    "changes",
    [
        {"job_start_date": date(2024, 6, 4)},
        {"hourly_wage_pence": 1201},
        {"weekly_hours": Decimal("37.51")},
        {"employer_name": "Acme"},
        {"sic_sector": "G"},
        {"referral_id": "ref-2"},
        {"provider_id": "prov-whp-west"},
        {"employment_type": EmploymentType.SELF_EMPLOYED},
    ],
)
def test_a_placement_id_reused_with_other_content_conflicts(changes: dict[str, Any]) -> None:
    assert not same_job_content(job(), job(**changes))
