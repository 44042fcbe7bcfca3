"""The insights pages' inputs, bounded: pounds to pence exactly, hours to hundredths,
months, breakdowns."""

from __future__ import annotations

from datetime import date

import pytest

from schemas.common import EligibilityGroup, MilestoneKind
from services.common.reference import load_contracts
from services.insights.dimensions import Dimension
from services.insights.whatif import edited
from services.web.pages.insights.forms import breakdown, hundredths, pence, period
from services.web.pages.insights.what_if_form import read_form


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


CENTRAL = load_contracts().contracts["whp-central"]


def test_the_what_if_form_starts_as_the_contract_is() -> None:
    form, edit = read_form({}, CENTRAL)
    assert form.prices[MilestoneKind.EARNINGS_OUTCOME] == "4000.00"
    assert (form.uplift, form.hours) == ("25", "16")
    assert edit is not None
    assert edited(CENTRAL, edit).prices == CENTRAL.prices
    assert edited(CENTRAL, edit).llw_uplift_percent == 25


def test_the_what_if_form_reads_an_edit() -> None:
    query = {
        "llw-uplift": "40",
        "weekly-hours-min": "12.5",
        "price-sustained_13w": "£1,000",
        "group-disability-earnings_outcome": "4500",
    }
    _, edit = read_form(query, CENTRAL)
    assert edit is not None
    copy = edited(CENTRAL, edit)
    assert (copy.llw_uplift_percent, copy.weekly_hours_min_hundredths) == (40, 1250)
    assert copy.prices[MilestoneKind.SUSTAINED_13W] == 100_000
    assert copy.group_prices == {
        EligibilityGroup.DISABILITY: {MilestoneKind.EARNINGS_OUTCOME: 450_000}
    }


def test_the_what_if_form_names_every_field_in_error() -> None:
    query = {"llw-uplift": "-3", "weekly-hours-min": "0", "price-job_start": "free",
             "group-early_access-job_start": "1.005"}  # fmt: skip
    form, edit = read_form(query, CENTRAL)
    assert edit is None
    assert [name for name, _ in form.errors] == [
        "price-job_start", "group-early_access-job_start", "llw-uplift", "weekly-hours-min",
    ]  # fmt: skip
