"""The insights pages' inputs, bounded: pounds to pence exactly, hours to hundredths,
months, breakdowns."""

from __future__ import annotations

from datetime import date

import pytest

from services.insights.dimensions import Dimension
from services.web.pages.insights.forms import breakdown, hundredths, pence, period


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("4000", 400_000), ("4,000.5", 400_050), ("£12.34", 1234), ("0", 0), (" 7.05 ", 705),
     ("1.234", None), ("-5", None), ("lots", None), ("1e3", None), ("", None), ("9" * 40, None)],
)  # fmt: skip
def test_pounds_to_pence(typed: str, expected: int | None) -> None:
    assert pence(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("16", 1600), ("12.5", 1250), ("0.01", 1), ("100", 10_000), ("0", None), ("100.01", None),
     ("16.005", None), ("NaN", None), ("sixteen", None)],
)  # fmt: skip
def test_hours_to_hundredths(typed: str, expected: int | None) -> None:
    assert hundredths(typed) == expected


def test_period_and_breakdown() -> None:
    chosen = period({"from": "2024-02", "until": "2024-02"})
    assert (chosen.started_from, chosen.started_until) == (date(2024, 2, 1), date(2024, 2, 29))
    assert period({"from": "2024-13", "until": "x"}).started_from is None
    assert breakdown({"by": "borough", "then": "age_band"}) == (
        Dimension.BOROUGH,
        Dimension.AGE_BAND,
    )
    assert breakdown({"by": "borough", "then": "borough"}) == (Dimension.BOROUGH,)
    assert breakdown({"by": "nino"}) == ()
