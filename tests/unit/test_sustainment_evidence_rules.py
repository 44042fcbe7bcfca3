"""Sustainment domain: evidence intake rules, hours and versions (domain.md §6, §9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.common import EmploymentType, EvidenceKind, RejectionReason
from services.sustainment.domain import (
    EvidenceFacts,
    Rejection,
    accept_version,
    check_evidence,
    check_evidence_alone,
    hours_to_hundredths,
)
from services.sustainment.evidence_rules import MAX_PERIOD_DAYS, max_hours_hundredths
from tests.unit.sustainment_builders import payslip

EMPLOYED, SELF_EMPLOYED = EmploymentType.EMPLOYED, EmploymentType.SELF_EMPLOYED
GOOD = payslip("e1", date(2024, 2, 1), date(2024, 2, 29), pence=150_000, hours=6400)


def check(
    ev: EvidenceFacts,
    employment: EmploymentType = EMPLOYED,
    owner: str = "prov-a",
    sender: str = "prov-a",
    hours: Decimal | None = None,
) -> Rejection | None:
    return check_evidence(ev, employment, owner, sender, hours_worked=hours)


def reason(
    ev: EvidenceFacts, employment: EmploymentType = EMPLOYED, sender: str = "prov-a"
) -> RejectionReason | None:
    rejection = check(ev, employment, sender=sender)
    return None if rejection is None else rejection.reason


class TestCheckEvidence:
    def test_good_evidence_passes(self) -> None:
        assert check(GOOD) is None

    def test_zero_earnings_and_hours_pass(self) -> None:
        assert check(replace(GOOD, gross_earnings_pence=0, hours_hundredths=0)) is None

    def test_end_before_start_is_invalid_period_naming_both_fields(self) -> None:
        ev = replace(GOOD, period_start=date(2024, 2, 1), period_end=date(2024, 1, 1))
        assert check(ev) == Rejection(
            RejectionReason.INVALID_PERIOD,
            "period_end 2024-01-01 is before period_start 2024-02-01",
        )

    def test_a_one_day_period_passes(self) -> None:
        ev = replace(
            GOOD, period_start=date(2024, 2, 29), period_end=date(2024, 2, 29), hours_hundredths=800
        )
        assert check(ev) is None

    def test_35_days_inclusive_pass_and_36_are_invalid_period(self) -> None:
        ev35 = replace(GOOD, period_start=date(2024, 1, 1), period_end=date(2024, 2, 4))
        ev36 = replace(ev35, period_end=date(2024, 2, 5), reported_on=date(2024, 2, 5))
        assert check(ev35) is None
        rejection = check(ev36)
        assert rejection is not None
        assert rejection.reason is RejectionReason.INVALID_PERIOD
        assert "36 days" in rejection.message

    def test_negative_earnings_are_invalid_evidence(self) -> None:
        rejection = check(replace(GOOD, gross_earnings_pence=-1))
        assert rejection == Rejection(
            RejectionReason.INVALID_EVIDENCE, "gross_earnings_pence -1 is negative"
        )

    def test_negative_hours_are_invalid_evidence(self) -> None:
        rejection = check(replace(GOOD, hours_hundredths=-150))
        assert rejection == Rejection(
            RejectionReason.INVALID_EVIDENCE, "hours_worked -1.50 is negative"
        )

    @pytest.mark.parametrize("hours", ["1.234", "-1"])
    def test_submitted_hours_that_do_not_convert_are_invalid_evidence(self, hours: str) -> None:
        rejection = check(replace(GOOD, hours_hundredths=0), hours=Decimal(hours))
        assert rejection is not None
        assert rejection.reason is RejectionReason.INVALID_EVIDENCE
        assert rejection.message.startswith(f"hours_worked {hours} ")

    def test_reported_before_the_period_end_is_invalid_evidence(self) -> None:
        rejection = check(replace(GOOD, reported_on=date(2024, 2, 28)))
        assert rejection == Rejection(
            RejectionReason.INVALID_EVIDENCE,
            "reported_on 2024-02-28 is before period_end 2024-02-29",
        )

    def test_reported_on_the_period_end_passes(self) -> None:
        assert check(replace(GOOD, reported_on=GOOD.period_end)) is None

    @pytest.mark.parametrize(
        ("kind", "employment", "expected"),
        [
            (EvidenceKind.SELF_EMPLOYMENT, SELF_EMPLOYED, None),
            (EvidenceKind.SELF_EMPLOYMENT, EMPLOYED, RejectionReason.INVALID_EVIDENCE),
            (EvidenceKind.PAYSLIP, SELF_EMPLOYED, RejectionReason.INVALID_EVIDENCE),
            (EvidenceKind.HMRC_RTI, SELF_EMPLOYED, RejectionReason.INVALID_EVIDENCE),
            (EvidenceKind.EMPLOYER_CONFIRMATION, SELF_EMPLOYED, RejectionReason.INVALID_EVIDENCE),
            (EvidenceKind.HMRC_RTI, EMPLOYED, None),
            (EvidenceKind.EMPLOYER_CONFIRMATION, EMPLOYED, None),
        ],
    )
    def test_kind_must_fit_the_placement(
        self, kind: EvidenceKind, employment: EmploymentType, expected: RejectionReason | None
    ) -> None:
        assert reason(replace(GOOD, kind=kind), employment) is expected

    def test_another_providers_placement_is_provider_mismatch(self) -> None:
        assert check(GOOD, sender="prov-b") == Rejection(
            RejectionReason.PROVIDER_MISMATCH, "placement p1 does not belong to provider prov-b"
        )

    def test_invalid_period_wins_over_invalid_evidence_and_provider_mismatch(self) -> None:
        ev = replace(GOOD, period_end=date(2024, 1, 1), gross_earnings_pence=-1)
        assert reason(ev, SELF_EMPLOYED, sender="prov-b") is RejectionReason.INVALID_PERIOD

    def test_invalid_period_wins_over_unconvertible_hours(self) -> None:
        ev = replace(GOOD, period_end=date(2024, 1, 1), hours_hundredths=0)
        rejection = check(ev, hours=Decimal("1.001"))
        assert rejection is not None
        assert rejection.reason is RejectionReason.INVALID_PERIOD

    def test_invalid_evidence_wins_over_provider_mismatch(self) -> None:
        assert reason(GOOD, SELF_EMPLOYED, sender="prov-b") is RejectionReason.INVALID_EVIDENCE

    def test_the_first_invalid_evidence_field_is_named(self) -> None:
        ev = replace(GOOD, gross_earnings_pence=-1, reported_on=date(2024, 2, 1))
        rejection = check(ev)
        assert rejection is not None
        assert rejection.message.startswith("gross_earnings_pence")


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("16", 1600),
        ("7.5", 750),
        ("37.25", 3725),
        ("0.01", 1),
        ("0", 0),
        ("-0", 0),
        ("1.500", 150),
        ("1E+2", 10000),
        ("1.505", None),
        ("0.001", None),
        ("-0.01", None),
        ("-16", None),
        ("NaN", None),
        ("Infinity", None),
    ],
)
def test_hours_to_hundredths(hours: str, expected: int | None) -> None:
    assert hours_to_hundredths(Decimal(hours)) == expected


@pytest.mark.parametrize(
    ("current", "retracted", "new", "expected"),
    [
        (None, False, 1, True),
        (None, False, 3, True),
        (1, False, 2, True),
        (2, False, 2, False),
        (3, False, 2, False),
        (None, True, 1, False),
        (1, True, 5, False),
    ],
)
def test_accept_version(current: int | None, retracted: bool, new: int, expected: bool) -> None:
    assert accept_version(current, retracted, new) is expected


# --- hours bounded by the period (v3 §6) ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "most"),
    [
        (date(2024, 2, 1), date(2024, 2, 1), 2400),  # one day: 24 hours
        (date(2024, 2, 1), date(2024, 2, 7), 7 * 2400),
        (date(2024, 2, 1), date(2024, 3, 6), 35 * 2400),  # the longest period
    ],
)
def test_hours_may_be_24_a_day_of_the_period_and_not_a_hundredth_more(
    start: date, end: date, most: int
) -> None:
    assert check(payslip("e1", start, end, pence=1, hours=most)) is None
    over = check(payslip("e1", start, end, pence=1, hours=most + 1))
    assert over is not None
    assert over.reason is RejectionReason.INVALID_EVIDENCE
    days = (end - start).days + 1
    assert f"more than 24 x the {days} days of the period ({24 * days} hours)" in over.message


def test_the_reported_9999_99_hours_for_a_week_are_invalid_evidence() -> None:
    week = payslip("e1", date(2024, 2, 5), date(2024, 2, 11), pence=1, hours=999_999)
    assert reason(week) is RejectionReason.INVALID_EVIDENCE


def test_an_invalid_period_wins_over_too_many_hours() -> None:
    backwards = payslip("e1", date(2024, 2, 7), date(2024, 2, 1), pence=1, hours=999_999)
    assert reason(backwards) is RejectionReason.INVALID_PERIOD


@given(days=st.integers(1, MAX_PERIOD_DAYS), hours=st.integers(0, 999_999))
def test_too_many_hours_is_exactly_more_than_24_per_day(days: int, hours: int) -> None:
    start = date(2024, 1, 1)
    ev = payslip("e1", start, start + timedelta(days=days - 1), pence=1, hours=hours)
    assert max_hours_hundredths(days) == 2400 * days
    assert (check_evidence_alone(ev) is not None) == (hours > 2400 * days)
