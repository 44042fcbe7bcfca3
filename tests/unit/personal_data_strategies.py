"""Hypothesis strategies for personal data as careless providers write it."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date

from hypothesis import strategies as st

_FIRST = "ABCEGHJKLMNOPRSTWXYZ"  # domain.md §4: not D F I Q U V
_SECOND = "ABCEGHJKLMNPRSTWXYZ"  # nor O
_BAD = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


@st.composite
def ninos(draw: st.DrawFn) -> str:
    """A valid NINO, normalised (``AB123456C``)."""
    prefix = draw(
        st.tuples(st.sampled_from(_FIRST), st.sampled_from(_SECOND))
        .map("".join)
        .filter(lambda p: p not in _BAD)
    )
    digits = draw(st.integers(0, 999_999))
    return f"{prefix}{digits:06d}{draw(st.sampled_from('ABCD'))}"


def spell_nino(nino: str, *, spaced: bool, lower: bool) -> str:
    written = " ".join([nino[:2], nino[2:4], nino[4:6], nino[6:8], nino[8:]]) if spaced else nino
    return written.lower() if lower else written


def dates() -> st.SearchStrategy[date]:
    """Dates of birth of working-age people, and any other date of the bounds."""
    return st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


def _month_name(day: date, short: bool) -> str:
    return (calendar.month_abbr if short else calendar.month_name)[day.month]


DATE_SPELLINGS: dict[str, Callable[[date], str]] = {
    "iso": lambda d: d.isoformat(),
    "iso slashes": lambda d: d.strftime("%Y/%m/%d"),
    "uk": lambda d: d.strftime("%d/%m/%Y"),
    "uk dashes": lambda d: d.strftime("%d-%m-%Y"),
    "uk dots": lambda d: d.strftime("%d.%m.%Y"),
    "us": lambda d: d.strftime("%m/%d/%Y"),
    "uk short year": lambda d: d.strftime("%d/%m/%y"),
    "unpadded": lambda d: f"{d.day}/{d.month}/{d.year}",
    "compact": lambda d: d.strftime("%Y%m%d"),
    "compact uk": lambda d: d.strftime("%d%m%Y"),
    "words": lambda d: f"{d.day} {_month_name(d, False)} {d.year}",
    "words short": lambda d: f"{d.day}-{_month_name(d, True)}-{d.year}",
    "words ordinal": lambda d: f"{d.day}th of {_month_name(d, False)}, {d.year}",
    "words us": lambda d: f"{_month_name(d, False)} {d.day}, {d.year}",
    "excel": lambda d: f"{d.day:02d}-{_month_name(d, True)}-{d.strftime('%y')}",
}
"""How a date of birth gets written (schemas/personal_data.py finds each)."""
