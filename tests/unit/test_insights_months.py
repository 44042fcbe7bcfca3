from datetime import date

import pytest

from services.insights.months import add_months, cohort_age, month_label, reached_within


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 15), 1, date(2024, 2, 15)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # no 31 February: the last day
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 1), 0, date(2024, 5, 1)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_reached_within_counts_dates_before_start_plus_months() -> None:
    start = date(2024, 1, 15)
    assert reached_within(start, date(2024, 2, 14), 1)
    assert not reached_within(start, date(2024, 2, 15), 1)
    assert reached_within(start, date(2024, 2, 15), 2)
    assert not reached_within(start, None, 24)


def test_a_cohort_ages_when_its_last_starter_has_had_the_whole_month() -> None:
    january = date(2024, 1, 1)
    assert cohort_age(january, date(2024, 1, 30)) == -1  # still starting
    assert cohort_age(january, date(2024, 1, 31)) == 0
    assert cohort_age(january, date(2024, 2, 28)) == 0  # a 31 January start: 29 Feb
    assert cohort_age(january, date(2024, 2, 29)) == 1
    assert cohort_age(january, date(2025, 1, 30)) == 11
    assert cohort_age(january, date(2025, 1, 31)) == 12
    assert month_label(january) == "2024-01"
