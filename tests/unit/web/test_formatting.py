"""How money, dates and hours read on a page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.web.formatting import hours, instant, long_date, money, short_date


def test_money_is_pounds_and_pence_from_integer_pence() -> None:
    assert money(500_000) == "£5,000.00"
    assert money(-625_000) == "-£6,250.00"
    assert money(1) == "£0.01"
    assert money(0) == "£0.00"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_reads_back_to_the_same_pence(pence: int) -> None:
    text = money(pence).replace("£", "").replace(",", "")
    assert int(Decimal(text) * 100) == pence


def test_dates_read_the_gov_uk_way() -> None:
    assert long_date(date(2024, 4, 1)) == "1 April 2024"
    assert short_date(date(2024, 12, 25)) == "25 Dec 2024"
    assert instant(datetime(2024, 7, 1, 8, 5, tzinfo=UTC)) == "1 July 2024 at 9:05am"
    assert instant(datetime(2024, 12, 1, 13, 30, tzinfo=UTC)) == "1 December 2024 at 1:30pm"


def test_hours_are_exact_without_trailing_zeros() -> None:
    assert hours(Decimal("16.50")) == "16.5"
    assert hours(Decimal("37.00")) == "37"
    assert hours("7.25") == "7.25"
