"""How values read on a page (GOV.UK style): money, dates, hours. Pure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

LONDON: Final = ZoneInfo("Europe/London")


def money(pence: int) -> str:
    """``-500000`` -> ``"-£5,000.00"``: integer pence, no float on the way."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def long_date(value: date | None) -> str:
    """``2024-04-01`` -> ``"1 April 2024"``."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def short_date(value: date | None) -> str:
    """``2024-04-01`` -> ``"1 Apr 2024"`` (tables)."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def instant(value: datetime | None) -> str:
    """An instant as London clock time: ``"1 April 2024 at 9:05am"``."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{long_date(local.date())} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def hours(value: Decimal | str | int) -> str:
    """Exact hours without trailing zeros: ``Decimal("16.50")`` -> ``"16.5"``."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def wage(pence: int | None) -> str:
    return "" if pence is None else f"{money(pence)} an hour"


def label(value: Any) -> str:
    """An enumeration value as words: ``long_term_unemployed`` -> ``"Long term unemployed"``."""
    text = str(getattr(value, "value", value)).replace("_", " ")
    return text[:1].upper() + text[1:]


FILTERS: Final[dict[str, Callable[..., str]]] = {
    "money": money,
    "long_date": long_date,
    "short_date": short_date,
    "instant": instant,
    "hours": hours,
    "wage": wage,
    "label": label,
}
