"""Reference data: the shipped rate tables and contracts, and the loaders' checks."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from schemas.common import EligibilityGroup, MilestoneKind, SubRegion
from services.common.reference import (
    REFERENCE_DIR,
    RateEntry,
    RateTable,
    ReferenceDataError,
    hours_in_hundredths,
    load_contracts,
    load_rates,
)

NLW_FROM_1_APRIL = {
    2016: 720, 2017: 750, 2018: 783, 2019: 821, 2020: 872, 2021: 891,
    2022: 950, 2023: 1042, 2024: 1144, 2025: 1221, 2026: 1271,
}  # fmt: skip
LLW_FROM_1_NOVEMBER = {
    2016: 975, 2017: 1020, 2018: 1055, 2019: 1075, 2020: 1085,
    2021: 1105, 2022: 1195, 2023: 1315, 2024: 1385, 2025: 1480,
}  # fmt: skip


def test_reference_dir_is_deploy_reference() -> None:
    assert REFERENCE_DIR.parts[-2:] == ("deploy", "reference")
    assert (REFERENCE_DIR / "rates.json").is_file()


# --- rates ---------------------------------------------------------------


def test_shipped_nlw_table_is_the_rule_book_table() -> None:
    rates = load_rates()
    assert rates.nlw.entries == tuple(
        (date(year, 4, 1), pence) for year, pence in NLW_FROM_1_APRIL.items()
    )


def test_shipped_llw_table_is_the_rule_book_table() -> None:
    rates = load_rates()
    assert rates.llw.entries == tuple(
        (date(year, 11, 1), pence) for year, pence in LLW_FROM_1_NOVEMBER.items()
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2000, 1, 1), None),
        (date(2016, 3, 31), None),
        (date(2016, 4, 1), 720),
        (date(2024, 3, 31), 1042),
        (date(2024, 4, 1), 1144),
        (date(2025, 3, 31), 1144),
        (date(2025, 4, 1), 1221),
        (date(2026, 4, 1), 1271),
        (date(2099, 12, 31), 1271),
    ],
)
def test_nlw_changes_on_1_april(day: date, expected: int | None) -> None:
    assert load_rates().nlw.rate_on(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2016, 10, 31), None),
        (date(2016, 11, 1), 975),
        (date(2023, 10, 31), 1195),
        (date(2023, 11, 1), 1315),
        (date(2024, 10, 31), 1315),
        (date(2024, 11, 1), 1385),
        (date(2025, 11, 1), 1480),
        (date(2040, 1, 1), 1480),
    ],
)
def test_llw_changes_on_1_november(day: date, expected: int | None) -> None:
    assert load_rates().llw.rate_on(day) == expected


def test_a_rate_table_must_be_sorted() -> None:
    with pytest.raises(ValueError, match="increasing"):
        RateTable((RateEntry(date(2020, 1, 1), 100), RateEntry(date(2019, 1, 1), 90)))


# --- contracts -----------------------------------------------------------


def test_shipped_contracts_are_the_six_defaults() -> None:
    book = load_contracts()
    assert sorted(book.contracts) == [
        "pioneer-central",
        "whp-central",
        "whp-local",
        "whp-national",
        "whp-south",
        "whp-west",
    ]
    for contract_id, contract in book.contracts.items():
        assert contract.contract_id == contract_id
        assert contract.provider_id == f"prov-{contract_id}"
        assert contract.weekly_hours_min_hundredths == 1600
        assert set(contract.prices) == set(MilestoneKind)
        assert contract.group_prices == {}
        assert contract.version == "2024-01"


@pytest.mark.parametrize(
    ("contract_id", "sub_region", "starts_from", "uplift"),
    [
        ("whp-national", SubRegion.NATIONAL, date(2017, 11, 1), 0),
        ("whp-central", SubRegion.CENTRAL, date(2018, 3, 1), 25),
        ("whp-west", SubRegion.WEST, date(2018, 3, 1), 20),
        ("whp-south", SubRegion.SOUTH, date(2018, 3, 1), 15),
        ("whp-local", SubRegion.LOCAL, date(2018, 3, 1), 0),
    ],
)
def test_whp_contracts(
    contract_id: str, sub_region: SubRegion, starts_from: date, uplift: int
) -> None:
    contract = load_contracts().get(contract_id)
    assert contract is not None
    assert contract.sub_region is sub_region
    assert (contract.starts_from, contract.starts_until) == (starts_from, date(2024, 9, 30))
    assert contract.llw_uplift_percent == uplift
    assert dict(contract.prices) == {
        MilestoneKind.JOB_START: 0,
        MilestoneKind.FIRST_EARNINGS: 0,
        MilestoneKind.EARNINGS_OUTCOME: 400000,
        MilestoneKind.SELF_EMPLOYMENT_OUTCOME: 400000,
        MilestoneKind.SUSTAINED_13W: 0,
        MilestoneKind.SUSTAINED_26W: 0,
        MilestoneKind.SUSTAINED_52W: 0,
    }


def test_pioneer_central_contract() -> None:
    contract = load_contracts().get("pioneer-central")
    assert contract is not None
    assert contract.sub_region is SubRegion.CENTRAL
    assert (contract.starts_from, contract.starts_until) == (date(2023, 9, 13), date(2026, 12, 31))
    assert contract.llw_uplift_percent == 10
    assert dict(contract.prices) == {
        MilestoneKind.JOB_START: 50000,
        MilestoneKind.FIRST_EARNINGS: 0,
        MilestoneKind.EARNINGS_OUTCOME: 0,
        MilestoneKind.SELF_EMPLOYMENT_OUTCOME: 0,
        MilestoneKind.SUSTAINED_13W: 100000,
        MilestoneKind.SUSTAINED_26W: 150000,
        MilestoneKind.SUSTAINED_52W: 0,
    }


def test_unknown_contract_is_none() -> None:
    assert load_contracts().get("whp-mars") is None


# --- bad files -----------------------------------------------------------


def _shipped_contracts() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((REFERENCE_DIR / "contracts.json").read_text())
    return loaded


def _write(tmp_path: Path, document: object, name: str = "contracts.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def _first_contract(document: dict[str, object]) -> dict[str, object]:
    contracts = document["contracts"]
    assert isinstance(contracts, list)
    first: dict[str, object] = contracts[0]
    return first


def test_group_price_overrides_load(tmp_path: Path) -> None:
    document = _shipped_contracts()
    _first_contract(document)["group_prices"] = {"disability": {"earnings_outcome": 500000}}
    contract = load_contracts(_write(tmp_path, document)).get("whp-national")
    assert contract is not None
    assert contract.group_prices == {
        EligibilityGroup.DISABILITY: {MilestoneKind.EARNINGS_OUTCOME: 500000}
    }


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("sub_region", "north", "contracts[0].sub_region"),
        ("starts_from", "2017-13-01", "contracts[0].starts_from"),
        ("starts_until", "2017-01-01", "contracts[0].starts_until"),
        ("weekly_hours_min", "16.005", "contracts[0].weekly_hours_min"),
        ("weekly_hours_min", 16, "contracts[0].weekly_hours_min"),
        ("llw_uplift_percent", -1, "contracts[0].llw_uplift_percent"),
        ("llw_uplift_percent", 2.5, "contracts[0].llw_uplift_percent"),
        ("group_prices", {"pensioners": {}}, "contracts[0].group_prices"),
        ("group_prices", {"disability": {"bonus": 1}}, "contracts[0].group_prices.disability"),
        ("contract_id", "", "contracts[0].contract_id"),
        ("colour", "red", "contracts[0]"),
    ],
)
def test_a_bad_contract_field_is_named(
    tmp_path: Path, field: str, value: object, named: str
) -> None:
    document = _shipped_contracts()
    _first_contract(document)[field] = value
    path = _write(tmp_path, document)
    with pytest.raises(ReferenceDataError) as raised:
        load_contracts(path)
    assert str(path) in str(raised.value)
    assert f"{named}:" in str(raised.value)


@pytest.mark.parametrize("price", [400000.0, "400000", -1, True, None])
def test_a_bad_price_is_named(tmp_path: Path, price: object) -> None:
    document = _shipped_contracts()
    prices = _first_contract(document)["prices"]
    assert isinstance(prices, dict)
    prices["earnings_outcome"] = price
    with pytest.raises(ReferenceDataError, match=r"contracts\[0\]\.prices\.earnings_outcome"):
        load_contracts(_write(tmp_path, document))


def test_a_missing_price_kind_is_named(tmp_path: Path) -> None:
    document = _shipped_contracts()
    prices = _first_contract(document)["prices"]
    assert isinstance(prices, dict)
    del prices["sustained_52w"]
    with pytest.raises(ReferenceDataError, match=r"contracts\[0\]\.prices: missing.*sustained_52w"):
        load_contracts(_write(tmp_path, document))


def test_a_missing_contract_field_is_named(tmp_path: Path) -> None:
    document = _shipped_contracts()
    del _first_contract(document)["provider_id"]
    with pytest.raises(ReferenceDataError, match=r"contracts\[0\]\.provider_id: missing"):
        load_contracts(_write(tmp_path, document))


def test_a_duplicate_contract_id_is_named(tmp_path: Path) -> None:
    document = _shipped_contracts()
    contracts = document["contracts"]
    assert isinstance(contracts, list)
    contracts.append(contracts[0])
    with pytest.raises(ReferenceDataError, match=r"contracts\[6\]\.contract_id: duplicate"):
        load_contracts(_write(tmp_path, document))


def test_rates_out_of_order_are_named(tmp_path: Path) -> None:
    document = {
        "nlw": [
            {"effective_from": "2017-04-01", "pence_per_hour": 750},
            {"effective_from": "2016-04-01", "pence_per_hour": 720},
        ],
        "llw": [{"effective_from": "2016-11-01", "pence_per_hour": 975}],
    }
    with pytest.raises(ReferenceDataError, match=r"rates\.json: nlw\[1\]\.effective_from"):
        load_rates(_write(tmp_path, document, "rates.json"))


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"effective_from": "2016-04-01", "pence_per_hour": 7.2}, r"llw\[0\]\.pence_per_hour"),
        ({"effective_from": "2016-04-01", "pence_per_hour": 0}, r"llw\[0\]\.pence_per_hour"),
        ({"effective_from": "1 April 2016", "pence_per_hour": 720}, r"llw\[0\]\.effective_from"),
        ({"pence_per_hour": 720}, r"llw\[0\]\.effective_from: missing"),
    ],
)
def test_a_bad_rate_entry_is_named(tmp_path: Path, entry: dict[str, object], named: str) -> None:
    document = {"nlw": [{"effective_from": "2016-04-01", "pence_per_hour": 720}], "llw": [entry]}
    with pytest.raises(ReferenceDataError, match=named):
        load_rates(_write(tmp_path, document, "rates.json"))


NLW_2016 = {"effective_from": "2016-04-01", "pence_per_hour": 720}


def test_a_missing_or_empty_table_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="llw: missing"):
        load_rates(_write(tmp_path, {"nlw": [NLW_2016]}, "rates.json"))
    with pytest.raises(ReferenceDataError, match="nlw: the table is empty"):
        load_rates(_write(tmp_path, {"nlw": [], "llw": []}, "rates.json"))


def test_unreadable_and_invalid_json_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(ReferenceDataError, match=r"nowhere\.json: cannot read"):
        load_rates(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ReferenceDataError, match=r"broken\.json: not valid JSON"):
        load_contracts(broken)


# --- hours ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (Decimal("16"), 1600),
        (Decimal("37.5"), 3750),
        (Decimal("37.50"), 3750),
        (Decimal("37.550"), 3755),
        (Decimal("0.01"), 1),
        (Decimal("0"), 0),
        (Decimal("-1.25"), -125),
        (Decimal("1E+2"), 10000),
        ("100.01", 10001),
        (Decimal("37.555"), None),
        (Decimal("0.001"), None),
        (Decimal("NaN"), None),
        (Decimal("Infinity"), None),
        (Decimal("1E+40"), None),
        ("sixteen", None),
    ],
)
def test_hours_in_hundredths_is_exact(hours: Decimal | str, expected: int | None) -> None:
    assert hours_in_hundredths(hours) == expected
