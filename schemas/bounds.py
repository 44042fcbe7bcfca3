"""Bounds on every field a provider sends: generous for real use, safe for storage.

A value outside these bounds is ``invalid_schema`` (domain.md v2 §10 "Schema"); it never
reaches a rule, a database or any arithmetic. The bounds are checked while the JSON is
parsed, so the cost of rejecting a hostile message is linear in its size:

- the message size is checked first (``MAX_MESSAGE_BYTES``, services/common/codec.py);
- strings are length-bounded and, where they are identifiers, limited to a character set;
  free text may hold no control character (NUL included); lone surrogates are not valid
  JSON text and are rejected by the parser;
- hours are decimal *strings* only (``"37.5"``; a JSON number is rejected) matched by a
  pattern with no sign and no exponent, at most 4 integer digits and 6 decimals. Three to
  six decimals pass the schema on purpose: the rule book makes those ``invalid_job`` /
  ``invalid_evidence`` (§9), not ``invalid_schema``;
- money is an integer number of pence within 0 .. 10^9 (£10 million);
- versions are 1 .. 10^6; dates and instants lie within 1900-01-01 .. 2100-12-31;
- ids and every free-text field that leaves intake hold nothing NINO-shaped or
  date-shaped (schemas/personal_data.py): the NINO and the date of birth never leave
  intake, so a careless provider's ``referral_id`` = NINO is refused, not carried on.

``BOUNDS`` lists each bound for the generated docs (docs/events.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from schemas.personal_data import personal_data_shape

MAX_MESSAGE_BYTES: Final = 256 * 1024
"""Default limit on an inbound message (the broker accepts 1 MB); setting MAX_MESSAGE_BYTES."""

MAX_INFLATED_BATCH_BYTES: Final = 4 * 1024 * 1024
"""Default limit on what one compressed record batch may inflate to (setting
MAX_INFLATED_BATCH_BYTES); the records past it are rejected unread."""

MAX_INFLATED_FETCH_BYTES: Final = 8 * 1024 * 1024
"""Default limit on what one partition fetch may inflate (MAX_INFLATED_FETCH_BYTES); the
batches past it are fetched again."""

MAX_SEPARATORS: Final = 4096
"""At most this many ``:`` bytes in a message: a valid provider event has at most 16 fields
and ~2,000 characters of bounded text, so more means many (unknown or repeated) fields,
which would otherwise cost one validation error each."""

MIN_DATE: Final = date(1900, 1, 1)
MAX_DATE: Final = date(2100, 12, 31)
MIN_INSTANT: Final = datetime(1900, 1, 1, tzinfo=UTC)
MAX_INSTANT: Final = datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

MAX_PENCE: Final = 10**9
MAX_VERSION: Final = 10**6
HOURS_INTEGER_DIGITS: Final = 4
HOURS_DECIMALS: Final = 6

ID_MAX: Final = 100
PROVIDER_ID_MAX: Final = 64
NAME_MAX: Final = 200
BOROUGH_MAX: Final = 100
REASON_MAX: Final = 500
NINO_MAX: Final = 20

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"
PROVIDER_ID_PATTERN: Final = r"^[A-Za-z0-9_-]+$"
"""As schemas.topics.PROVIDER_ID: no dots, so ``provider.<provider_id>.<kind>.v1`` is a topic."""
TEXT_PATTERN: Final = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
HOURS_PATTERN: Final = rf"^[0-9]{{1,{HOURS_INTEGER_DIGITS}}}(\.[0-9]{{1,{HOURS_DECIMALS}}})?$"
_HOURS_RE: Final = re.compile(HOURS_PATTERN)
_HOURS_TEXT_MAX: Final = HOURS_INTEGER_DIGITS + 1 + HOURS_DECIMALS


def _id(max_length: int, pattern: str, what: str) -> Any:
    return Field(
        min_length=1,
        max_length=max_length,
        pattern=pattern,
        description=f"{what}: 1-{max_length} characters from {_charset(pattern)}",
    )


def _charset(pattern: str) -> str:
    return "A-Z a-z 0-9 _ . : / -" if "/" in pattern else "A-Z a-z 0-9 _ - (no dots)"


def _text(max_length: int, what: str) -> Any:
    return Field(
        min_length=1,
        max_length=max_length,
        pattern=TEXT_PATTERN,
        description=f"{what}: 1-{max_length} characters, not blank, no control characters",
    )


def no_personal_data(value: str) -> str:
    """Refuse an id or free text holding a NINO- or date-shaped value (schemas/
    personal_data.py): it would carry personal data out of intake (domain.md §4, §11)."""
    shape = personal_data_shape(value)
    if shape is not None:
        raise PydanticCustomError(
            "personal_data",
            "must not hold {shape} (NINO- or date-shaped): a NINO or date of birth never"
            " leaves intake",
            {"shape": shape},
        )
    return value


_NO_PERSONAL_DATA: Final = AfterValidator(no_personal_data)

Id = Annotated[str, _id(ID_MAX, ID_PATTERN, "Identifier"), _NO_PERSONAL_DATA]
ProviderId = Annotated[str, _id(PROVIDER_ID_MAX, PROVIDER_ID_PATTERN, "Provider id")]
ContractId = Annotated[str, _id(PROVIDER_ID_MAX, ID_PATTERN, "Contract id"), _NO_PERSONAL_DATA]
Name = Annotated[str, _text(NAME_MAX, "Name"), _NO_PERSONAL_DATA]
BoroughName = Annotated[
    str, _text(BOROUGH_MAX, "Borough or local-authority name"), _NO_PERSONAL_DATA
]
ReasonText = Annotated[str, _text(REASON_MAX, "Free text"), _NO_PERSONAL_DATA]
NinoText = Annotated[str, _text(NINO_MAX, "National Insurance number as written")]

BoundedPence = Annotated[
    int, Field(ge=0, le=MAX_PENCE, description=f"Money in integer pence, 0-{MAX_PENCE:,}")
]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION, description=f"1-{MAX_VERSION:,}")]
BoundedDate = Annotated[
    date,
    Field(
        ge=MIN_DATE,
        le=MAX_DATE,
        description=f"ISO date, {MIN_DATE} .. {MAX_DATE}",
        json_schema_extra={"formatMinimum": str(MIN_DATE), "formatMaximum": str(MAX_DATE)},
    ),
]
INSTANT_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})$"
)
"""ISO-8601 date and time with an offset (``Z`` or ``+01:00``): the only spelling of an
instant a provider may send. pydantic alone would also take a number or a numeric string
as a Unix time (``"-0"`` for 1970-01-01), which the documentation never offered."""
_INSTANT_RE: Final = re.compile(INSTANT_PATTERN)
_INSTANT_TEXT_MAX: Final = 35


def iso_instant(value: object) -> object:
    """The instant of an ISO-8601 text with offset (a ``datetime`` built in Python passes
    as it is); anything else is refused before pydantic could read it as a Unix time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) <= _INSTANT_TEXT_MAX and _INSTANT_RE.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # matched the shape but not the calendar (2024-02-30, 25:00)
    raise PydanticCustomError(
        "instant_format",
        "must be an ISO-8601 date and time with an offset, like 2024-03-01T09:00:00Z",
    )


BoundedInstant = Annotated[
    AwareDatetime,
    Field(
        ge=MIN_INSTANT,
        le=MAX_INSTANT,
        description=f"UTC ISO-8601 instant with offset, {MIN_DATE} .. {MAX_DATE}",
        json_schema_extra={
            "formatMinimum": MIN_INSTANT.isoformat(),
            "formatMaximum": MAX_INSTANT.isoformat(),
            "pattern": INSTANT_PATTERN,
        },
    ),
    BeforeValidator(iso_instant),
]


def parse_hours(value: object) -> Decimal:
    """Hours as an exact ``Decimal``, from a decimal string (JSON) or a ``Decimal`` (Python).

    The string is matched against ``HOURS_PATTERN`` before ``Decimal`` sees it, so an
    exponent, a sign, a float or a 10,000-digit number never reaches any arithmetic.
    """
    if isinstance(value, str):
        if len(value) > _HOURS_TEXT_MAX or not _HOURS_RE.match(value):
            raise PydanticCustomError(
                "hours_format",
                'hours must be a decimal string like "37.5": no sign or exponent, '
                "at most {digits} integer digits and {decimals} decimals",
                {"digits": HOURS_INTEGER_DIGITS, "decimals": HOURS_DECIMALS},
            )
        return Decimal(value)
    if isinstance(value, Decimal):
        if not _decimal_in_bounds(value):
            raise PydanticCustomError(
                "hours_bounds", "hours out of bounds: 0 <= hours < 10^4, at most 6 decimals"
            )
        return value
    raise PydanticCustomError(
        "hours_type", 'hours must be a decimal string like "37.5", not a JSON number'
    )


def _decimal_in_bounds(value: Decimal) -> bool:
    if not value.is_finite() or value.is_signed():
        return False
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return exponent >= -HOURS_DECIMALS and (value.is_zero() or value.adjusted() < 4)


Hours = Annotated[
    Decimal,
    BeforeValidator(parse_hours),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": HOURS_PATTERN,
            "maxLength": _HOURS_TEXT_MAX,
            "examples": ["37.5", "16", "7.25"],
            "description": (
                "Hours as a decimal string (not a JSON number): no sign, no exponent, "
                f"at most {HOURS_INTEGER_DIGITS} integer digits and {HOURS_DECIMALS} "
                "decimals. More than 2 decimals is rejected by the rules "
                "(invalid_job / invalid_evidence), not by the schema."
            ),
        }
    ),
]


@dataclass(frozen=True)
class Bound:
    """One documented bound: the kind of field, the limit, what breaking it means."""

    kind: str
    limit: str


BOUNDS: Final[tuple[Bound, ...]] = (
    Bound("message", f"at most {MAX_MESSAGE_BYTES:,} bytes (setting MAX_MESSAGE_BYTES)"),
    Bound("object members", f"at most {MAX_SEPARATORS:,} `:` characters in a message"),
    Bound("id (referral, placement, evidence)", f"1-{ID_MAX} chars, `{ID_PATTERN}`"),
    Bound("provider_id", f"1-{PROVIDER_ID_MAX} chars, `{PROVIDER_ID_PATTERN}`"),
    Bound("contract_id", f"1-{PROVIDER_ID_MAX} chars, `{ID_PATTERN}`"),
    Bound("nino", f"1-{NINO_MAX} chars, no control characters (the rules check the format)"),
    Bound("borough", f"1-{BOROUGH_MAX} chars, not blank, no control characters"),
    Bound(
        "employer_name, sic_sector, eligibility_subgroup",
        f"1-{NAME_MAX} chars, not blank, no control characters",
    ),
    Bound("reason (leaver)", f"1-{REASON_MAX} chars, not blank, no control characters"),
    Bound("money (pence)", f"JSON integer, 0-{MAX_PENCE:,}"),
    Bound(
        "hours",
        f"JSON string, `{HOURS_PATTERN}` (no float, sign or exponent)",
    ),
    Bound("version", f"JSON integer, 1-{MAX_VERSION:,}"),
    Bound("date", f"`YYYY-MM-DD`, {MIN_DATE} .. {MAX_DATE}"),
    Bound("produced_at", f"ISO-8601 instant with offset, {MIN_DATE} .. {MAX_DATE}"),
    Bound("event_id", "UUID"),
    Bound(
        "enumerations",
        "eligibility_group, referral_source, employment_type, kind: listed values only",
    ),
    Bound("text", "no NUL or other control character; no lone surrogate (not valid JSON)"),
    Bound(
        "ids, contract_id, borough, names, sectors, reasons",
        "nothing NINO-shaped or date-shaped (`schemas/personal_data.py`): personal data"
        " never leaves intake",
    ),
)
