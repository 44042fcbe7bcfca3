"""Reference data that ships with the product: rate tables and contracts (§3, §7).

The JSON files live in ``deploy/reference``. They are pydantic models, validated and
frozen: :func:`load_reference` reads both files once (each service's composition root
calls it at start and passes the result in); nothing here reads a file at import. A bad
file fails with :class:`ReferenceDataError` naming the file and the field.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, NamedTuple, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from schemas.common import EligibilityGroup, MilestoneKind, SubRegion
from services.common.pricing import DEFAULT_PRICE_RULE, PRICE_RULES

REFERENCE_DIR: Path = Path(__file__).resolve().parents[2] / "deploy" / "reference"

_MAX_HOURS_DIGITS = 12

Pence = Annotated[int, Field(strict=True, ge=0)]
PencePerHour = Annotated[int, Field(strict=True, ge=1)]


def _non_blank(text: str) -> str:
    if not text.strip():
        raise _problem("blank", "expected a non-empty string")
    return text


Text = Annotated[str, Field(strict=True, min_length=1), AfterValidator(_non_blank)]


class ReferenceDataError(ValueError):
    """A reference data file that cannot be used."""


def _problem(kind: str, message: str, at: str = "") -> PydanticCustomError:
    """A validation error; ``at`` names a field below the one validated (``[1].effective_from``)."""
    return PydanticCustomError(kind, message, {"at": at})


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


def _weekly_hours(value: object) -> int:
    """The file's ``"16"`` (a string of hours) as hundredths; more than 0."""
    hundredths = hours_in_hundredths(value) if isinstance(value, str) else None
    if hundredths is None or hundredths <= 0:
        raise _problem("hours", f"expected hours > 0 as a string, got {value!r}")
    return hundredths


# --- rates ---------------------------------------------------------------


class RateEntry(NamedTuple):
    effective_from: date
    pence_per_hour: PencePerHour


class RateTable(RootModel[tuple[RateEntry, ...]]):
    """Effective-dated rates in pence per hour, sorted by effective date."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _strictly_increasing(self) -> Self:
        if not self.root:
            raise _problem("empty", "the table is empty")
        days = [entry.effective_from for entry in self.root]
        for index, (earlier, later) in enumerate(pairwise(days), start=1):
            if later <= earlier:
                at = f"[{index}].effective_from"
                raise _problem(
                    "order", "rate table entries must have strictly increasing dates", at
                )
        return self

    @property
    def entries(self) -> tuple[RateEntry, ...]:
        return self.root

    def rate_on(self, day: date) -> int | None:
        """The rate in force on ``day``; None before the first entry."""
        index = bisect_right(self.root, day, key=lambda entry: entry.effective_from)
        return self.root[index - 1].pence_per_hour if index else None


class Rates(BaseModel):
    """rates.json: the NLW and LLW tables."""

    model_config = ConfigDict(frozen=True)

    nlw: RateTable
    llw: RateTable


# --- contracts -----------------------------------------------------------

K = TypeVar("K")
V = TypeVar("V")


def _read_only(mapping: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(mapping))


def _every_kind(prices: Mapping[MilestoneKind, int]) -> Mapping[MilestoneKind, int]:
    missing = sorted(kind for kind in MilestoneKind if kind not in prices)
    if missing:
        raise _problem("missing_prices", f"missing price(s) for {', '.join(missing)}")
    return prices


PriceTable = Annotated[Mapping[MilestoneKind, Pence], AfterValidator(_read_only)]
"""A price in pence per milestone kind (some kinds may be absent)."""


def _known_price_rule(rule: str) -> str:
    if rule not in PRICE_RULES:
        raise _problem("price_rule", f"unknown price rule {rule!r}")
    return rule


class Contract(BaseModel):
    """A contract; ``starts_from`` and ``starts_until`` are both inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_id: Text
    name: Text
    version: Text
    sub_region: SubRegion
    provider_id: Text
    starts_from: date
    starts_until: date
    weekly_hours_min_hundredths: Annotated[
        int, BeforeValidator(_weekly_hours), Field(validation_alias="weekly_hours_min")
    ]
    prices: Annotated[PriceTable, AfterValidator(_every_kind)]
    group_prices: Annotated[Mapping[EligibilityGroup, PriceTable], AfterValidator(_read_only)]
    llw_uplift_percent: Pence
    price_rule: Annotated[Text, AfterValidator(_known_price_rule)] = DEFAULT_PRICE_RULE
    """The function of ``pricing.PRICE_RULES`` that prices its milestones."""

    @field_validator("starts_until")
    @classmethod
    def _not_before_start(cls, starts_until: date, info: ValidationInfo) -> date:
        starts_from = info.data.get("starts_from")
        if isinstance(starts_from, date) and starts_until < starts_from:
            raise _problem("period", "is before starts_from")
        return starts_until


class ContractBook(BaseModel):
    """The contracts by id, in contracts.json's order."""

    model_config = ConfigDict(frozen=True)

    contracts: Annotated[Mapping[str, Contract], AfterValidator(_read_only)]

    def get(self, contract_id: str) -> Contract | None:
        return self.contracts.get(contract_id)


class _ContractsFile(BaseModel):
    """contracts.json as written: a list of contracts, each id once."""

    model_config = ConfigDict(frozen=True)

    contracts: tuple[Contract, ...]

    @model_validator(mode="after")
    def _each_id_once(self) -> Self:
        seen: set[str] = set()
        for index, contract in enumerate(self.contracts):
            if contract.contract_id in seen:
                raise _problem(
                    "duplicate", f"contracts[{index}].contract_id: duplicate contract id"
                )
            seen.add(contract.contract_id)
        return self

    def book(self) -> ContractBook:
        return ContractBook(contracts={c.contract_id: c for c in self.contracts})


class Reference(BaseModel):
    """All the reference data a service runs with: read once, at start, by its root."""

    model_config = ConfigDict(frozen=True)

    contracts: ContractBook
    rates: Rates

    @property
    def provider_ids(self) -> tuple[str, ...]:
        """The providers holding a contract, in the book's order, each once."""
        return tuple(dict.fromkeys(c.provider_id for c in self.contracts.contracts.values()))


# --- loading -------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def load_reference(directory: Path | None = None) -> Reference:
    """The contract book and rate tables of ``directory`` (default ``deploy/reference``)."""
    directory = directory or REFERENCE_DIR
    return Reference(
        contracts=load_contracts(directory / "contracts.json"),
        rates=load_rates(directory / "rates.json"),
    )


def load_rates(path: Path | None = None) -> Rates:
    """Load the NLW and LLW tables (default ``deploy/reference/rates.json``)."""
    return _load(Rates, path or REFERENCE_DIR / "rates.json")


def load_contracts(path: Path | None = None) -> ContractBook:
    """Load the contract book (default ``deploy/reference/contracts.json``)."""
    return _load(_ContractsFile, path or REFERENCE_DIR / "contracts.json").book()


def _load(model: type[M], path: Path) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReferenceDataError(f"{path}: cannot read: {error}") from error
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as error:
        raise ReferenceDataError(f"{path}: {_first_problem(error.errors())}") from None


def _first_problem(errors: list[ErrorDetails]) -> str:
    """``contracts[0].prices.bonus: unknown field(s) bonus`` for the first error."""
    error = errors[0]
    if error["type"] == "json_invalid":
        return f"not valid JSON: {error['msg']}"
    loc = list(error["loc"])
    problem = error["msg"]
    if error["type"] in {"missing", "missing_argument"}:
        problem = "missing"
    elif error["type"] in {"extra_forbidden", "unexpected_keyword_argument"}:
        problem = f"unknown field(s) {loc.pop()}"
    elif loc and loc[-1] == "[key]":
        loc.pop()
        problem = f"unknown field(s) {loc.pop()}"
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    field += str(error.get("ctx", {}).get("at", ""))
    return f"{field.lstrip('.') or '(top level)'}: {problem}"
