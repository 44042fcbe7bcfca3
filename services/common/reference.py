"""Reference data that ships with the product: rate tables and contracts (§3, §7).

The JSON files live in ``deploy/reference``. Loading validates every field; a bad
file fails with :class:`ReferenceDataError` naming the file and the field.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from schemas.common import EligibilityGroup, MilestoneKind, SubRegion
from services.common.pricing import DEFAULT_PRICE_RULE, PRICE_RULES

REFERENCE_DIR: Path = Path(__file__).resolve().parents[2] / "deploy" / "reference"

_MAX_HOURS_DIGITS = 12


class ReferenceDataError(ValueError):
    """A reference data file that cannot be used."""


@dataclass(frozen=True)
class RateTable:
    """Effective-dated rates in pence per hour, sorted by effective date."""

    entries: tuple[tuple[date, int], ...]

    def __post_init__(self) -> None:
        days = [effective for effective, _ in self.entries]
        if any(later <= earlier for earlier, later in pairwise(days)):
            raise ValueError("rate table entries must have strictly increasing dates")

    def rate_on(self, day: date) -> int | None:
        """The rate in force on ``day``; None before the first entry."""
        index = bisect_right(self.entries, day, key=lambda entry: entry[0])
        return self.entries[index - 1][1] if index else None


@dataclass(frozen=True)
class Rates:
    nlw: RateTable
    llw: RateTable


@dataclass(frozen=True)
class Contract:
    """A contract; ``starts_from`` and ``starts_until`` are both inclusive."""

    contract_id: str
    name: str
    version: str
    sub_region: SubRegion
    provider_id: str
    starts_from: date
    starts_until: date
    weekly_hours_min_hundredths: int
    prices: Mapping[MilestoneKind, int]
    group_prices: Mapping[EligibilityGroup, Mapping[MilestoneKind, int]]
    llw_uplift_percent: int
    price_rule: str = DEFAULT_PRICE_RULE
    """The function of ``pricing.PRICE_RULES`` that prices its milestones."""


@dataclass(frozen=True)
class ContractBook:
    contracts: Mapping[str, Contract]

    def get(self, contract_id: str) -> Contract | None:
        return self.contracts.get(contract_id)


def hours_in_hundredths(hours: Decimal | str) -> int | None:
    """Hours as an exact integer of hundredths.

    None when the value is not a finite decimal, has a non-zero digit beyond the
    second decimal place, or is absurdly large (more than 12 integer digits).
    ``Decimal("37.50")`` and ``Decimal("37.500")`` are both 3750.
    """
    try:
        value = Decimal(hours) if isinstance(hours, str) else hours
    except InvalidOperation:
        return None
    if not value.is_finite() or value.adjusted() >= _MAX_HOURS_DIGITS:
        return None
    hundredths = Fraction(value) * 100
    return hundredths.numerator if hundredths.denominator == 1 else None


def load_rates(path: Path | None = None) -> Rates:
    """Load the NLW and LLW tables (default ``deploy/reference/rates.json``)."""
    reader = _Reader(path or REFERENCE_DIR / "rates.json")
    document = reader.document()
    return Rates(
        nlw=_rate_table(reader, document, "nlw"),
        llw=_rate_table(reader, document, "llw"),
    )


@dataclass(frozen=True)
class Reference:
    """All the reference data a service runs with: read once, at start, by its app."""

    contracts: ContractBook
    rates: Rates

    @property
    def provider_ids(self) -> tuple[str, ...]:
        """The providers holding a contract, in the book's order, each once."""
        return tuple(dict.fromkeys(c.provider_id for c in self.contracts.contracts.values()))


def load_reference(directory: Path | None = None) -> Reference:
    """The contract book and rate tables of ``directory`` (default ``deploy/reference``)."""
    directory = directory or REFERENCE_DIR
    return Reference(
        load_contracts(directory / "contracts.json"), load_rates(directory / "rates.json")
    )


def load_contracts(path: Path | None = None) -> ContractBook:
    """Load the contract book (default ``deploy/reference/contracts.json``)."""
    reader = _Reader(path or REFERENCE_DIR / "contracts.json")
    document = reader.document()
    contracts: dict[str, Contract] = {}
    for index, raw in enumerate(reader.list_of(document, "contracts", "contracts")):
        contract = _contract(reader, raw, f"contracts[{index}]")
        if contract.contract_id in contracts:
            reader.fail(f"contracts[{index}].contract_id", "duplicate contract id")
        contracts[contract.contract_id] = contract
    return ContractBook(contracts=MappingProxyType(contracts))


class _Reader:
    """Field access that names the file and field in every failure."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> NoReturn:
        raise ReferenceDataError(f"{self.path}: {field}: {problem}")

    def document(self) -> dict[str, Any]:
        try:
            parsed: object = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ReferenceDataError(f"{self.path}: cannot read: {error}") from error
        except ValueError as error:
            raise ReferenceDataError(f"{self.path}: not valid JSON: {error}") from error
        return self.object_at(parsed, "(top level)")

    def object_at(self, value: object, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(field, "expected an object")
        return value

    def field(self, container: Mapping[str, Any], key: str, field: str) -> object:
        if key not in container:
            self.fail(field, "missing")
        value: object = container[key]
        return value

    def list_of(self, container: Mapping[str, Any], key: str, field: str) -> list[Any]:
        value = self.field(container, key, field)
        if not isinstance(value, list):
            self.fail(field, "expected a list")
        return value

    def text(self, container: Mapping[str, Any], key: str, field: str) -> str:
        value = self.field(container, key, field)
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f"expected a non-empty string, got {value!r}")
        return value

    def day(self, container: Mapping[str, Any], key: str, field: str) -> date:
        value = self.text(container, key, field)
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(field, f"expected an ISO date YYYY-MM-DD, got {value!r}")

    def whole(self, value: object, field: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(field, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def no_unknown_keys(self, container: Mapping[str, Any], known: set[str], field: str) -> None:
        unknown = sorted(key for key in container if key not in known)
        if unknown:
            self.fail(field, f"unknown field(s) {', '.join(unknown)}")


def _rate_table(reader: _Reader, document: Mapping[str, Any], key: str) -> RateTable:
    entries: list[tuple[date, int]] = []
    for index, raw in enumerate(reader.list_of(document, key, key)):
        field = f"{key}[{index}]"
        entry = reader.object_at(raw, field)
        reader.no_unknown_keys(entry, {"effective_from", "pence_per_hour"}, field)
        effective = reader.day(entry, "effective_from", f"{field}.effective_from")
        pence = reader.field(entry, "pence_per_hour", f"{field}.pence_per_hour")
        rate = reader.whole(pence, f"{field}.pence_per_hour", minimum=1)
        if entries and effective <= entries[-1][0]:
            reader.fail(f"{field}.effective_from", "dates must strictly increase")
        entries.append((effective, rate))
    if not entries:
        reader.fail(key, "the table is empty")
    return RateTable(entries=tuple(entries))


_CONTRACT_FIELDS = {
    "contract_id",
    "name",
    "version",
    "sub_region",
    "provider_id",
    "starts_from",
    "starts_until",
    "weekly_hours_min",
    "prices",
    "group_prices",
    "llw_uplift_percent",
    "price_rule",
}


def _contract(reader: _Reader, raw: object, field: str) -> Contract:
    entry = reader.object_at(raw, field)
    reader.no_unknown_keys(entry, _CONTRACT_FIELDS, field)
    starts_from = reader.day(entry, "starts_from", f"{field}.starts_from")
    starts_until = reader.day(entry, "starts_until", f"{field}.starts_until")
    if starts_until < starts_from:
        reader.fail(f"{field}.starts_until", "is before starts_from")
    sub_region = reader.text(entry, "sub_region", f"{field}.sub_region")
    if sub_region not in set(SubRegion):
        reader.fail(f"{field}.sub_region", f"unknown sub-region {sub_region!r}")
    hours = reader.text(entry, "weekly_hours_min", f"{field}.weekly_hours_min")
    hundredths = hours_in_hundredths(hours)
    if hundredths is None or hundredths <= 0:
        reader.fail(f"{field}.weekly_hours_min", f"expected hours > 0, got {hours!r}")
    uplift = reader.field(entry, "llw_uplift_percent", f"{field}.llw_uplift_percent")
    rule = DEFAULT_PRICE_RULE
    if "price_rule" in entry:
        rule = reader.text(entry, "price_rule", f"{field}.price_rule")
        if rule not in PRICE_RULES:
            reader.fail(f"{field}.price_rule", f"unknown price rule {rule!r}")
    return Contract(
        contract_id=reader.text(entry, "contract_id", f"{field}.contract_id"),
        name=reader.text(entry, "name", f"{field}.name"),
        version=reader.text(entry, "version", f"{field}.version"),
        sub_region=SubRegion(sub_region),
        provider_id=reader.text(entry, "provider_id", f"{field}.provider_id"),
        starts_from=starts_from,
        starts_until=starts_until,
        weekly_hours_min_hundredths=hundredths,
        prices=_prices(reader, entry, "prices", f"{field}.prices", complete=True),
        group_prices=_group_prices(reader, entry, f"{field}.group_prices"),
        llw_uplift_percent=reader.whole(uplift, f"{field}.llw_uplift_percent", minimum=0),
        price_rule=rule,
    )


def _prices(
    reader: _Reader, container: Mapping[str, Any], key: str, field: str, *, complete: bool
) -> Mapping[MilestoneKind, int]:
    """A price per milestone kind; ``complete`` requires every kind to be present."""
    raw = reader.object_at(reader.field(container, key, field), field)
    reader.no_unknown_keys(raw, set(MilestoneKind), field)
    if complete:
        missing = sorted(kind for kind in MilestoneKind if kind not in raw)
        if missing:
            reader.fail(field, f"missing price(s) for {', '.join(missing)}")
    prices = {
        MilestoneKind(kind): reader.whole(pence, f"{field}.{kind}", minimum=0)
        for kind, pence in raw.items()
    }
    return MappingProxyType(prices)


def _group_prices(
    reader: _Reader, entry: Mapping[str, Any], field: str
) -> Mapping[EligibilityGroup, Mapping[MilestoneKind, int]]:
    raw = reader.object_at(reader.field(entry, "group_prices", field), field)
    reader.no_unknown_keys(raw, set(EligibilityGroup), field)
    overrides = {
        EligibilityGroup(group): _prices(reader, raw, group, f"{field}.{group}", complete=False)
        for group in raw
    }
    return MappingProxyType(overrides)
