"""The insights pages' query strings, read and bounded: months, breakdowns, pounds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from services.insights.dimensions import Dimension
from services.insights.months import add_months, last_day_of

_MONTH = re.compile(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])")
_POUNDS = re.compile(r"£?\s*([0-9]{1,7}(?:,[0-9]{3})*|[0-9]{1,9})(?:\.([0-9]{1,2}))?")
MAX_FIELD = 32


@dataclass(frozen=True)
class Period:
    """Start months chosen (both inclusive), as typed (``YYYY-MM``) and as dates."""

    start_text: str
    until_text: str
    started_from: date | None
    started_until: date | None


def month_field(query: Mapping[str, str], name: str) -> tuple[str, date | None]:
    text = query.get(name, "").strip()[:MAX_FIELD]
    if not _MONTH.fullmatch(text):
        return ("", None)
    return (text, date(int(text[:4]), int(text[5:]), 1))


def period(query: Mapping[str, str]) -> Period:
    start_text, start = month_field(query, "from")
    until_text, until = month_field(query, "until")
    return Period(start_text, until_text, start, last_day_of(until) if until else None)


def dimension(query: Mapping[str, str], name: str) -> Dimension | None:
    value = query.get(name, "")
    return Dimension(value) if value in Dimension.__members__.values() else None


def breakdown(query: Mapping[str, str]) -> tuple[Dimension, ...]:
    """One or two different dimensions (``by``, ``then``), or none."""
    first, second = dimension(query, "by"), dimension(query, "then")
    chosen = [d for d in (first, second) if d is not None]
    return tuple(dict.fromkeys(chosen))


def pence(text: str) -> int | None:
    """Pounds as typed (``4,000`` / ``4000.50`` / ``£12``) -> pence; None if not money."""
    match = _POUNDS.fullmatch(text.strip()[:MAX_FIELD])
    if match is None:
        return None
    whole = int(match.group(1).replace(",", ""))
    fraction = (match.group(2) or "0").ljust(2, "0")
    return whole * 100 + int(fraction)


def hundredths(text: str) -> int | None:
    """Hours as typed (``16`` / ``12.5``) -> hundredths; None if not 0-100 with 2 places."""
    try:
        hours = Decimal(text.strip()[:MAX_FIELD])
    except InvalidOperation:
        return None
    if not hours.is_finite() or hours <= 0 or hours > 100:
        return None
    scaled = hours * 100
    return int(scaled) if scaled == scaled.to_integral_value() else None


def default_period_end(today: date) -> date:
    """Cohorts need time: by default, starters up to a full month before today."""
    return last_day_of(add_months(today, -1))
