"""What looks like personal data in text: a NINO or a date of birth, whatever the spelling.

The NINO and the date of birth never leave intake (domain.md §4, §11). A provider may
still put one where it does not belong -- a NINO as a ``referral_id``, "born 17/05/1990"
in an employer name -- so every id and free-text field that leaves intake is refused
(``invalid_schema``, schemas/bounds.py) when it holds a value of either shape, and
masking (services/common/masking.py) hides both shapes in rejected originals.

Pure: no I/O. The two shapes, precisely:

**NINO-shaped** (:func:`nino_spans`): case ignored, whitespace allowed between the
characters, two prefix letters that a NINO may have (domain.md §4: neither is D, F, I, Q,
U or V, the second is not O, not BG, GB, KN, NK, NT, TN or ZZ), then six digits, then

- a suffix A-D: anywhere, even inside a longer word (``refAB123456C``), but not next to
  a further digit; or
- no suffix: only standing alone, not next to another letter or digit (``AB123456``,
  ``id AB 12 34 56``; not ``usr123456`` nor ``plc-000019``).

**Date-shaped** (:func:`date_spans`): a real calendar date (29 February only in leap
years), its digits not next to other digits, written as

- ``YYYY-MM-DD`` with ``-``, ``/``, ``.`` or a space (the same twice), year 1900-2099,
  month and day of one or two digits;
- ``DD-MM-YYYY`` or ``MM-DD-YYYY`` with those separators, year 1900-2099;
- ``DD/MM/YY`` or ``MM/DD/YY`` (or with ``.``): exactly two digits each;
- ``YYYYMMDD`` or ``DDMMYYYY``: exactly eight digits, year 1900-2099;
- a day and a month name or its abbreviation in either order (``17 May 1990``,
  ``17th of May, 1990``, ``May 17 1990``, ``17-May-90``), with a year of four digits
  1900-2099 or, after the month, two digits.

Any calendar date counts, not only plausible birthdays: a date in an id or a free-text
field is refused whatever it means (a referral date is not personal, but a field cannot
tell which date it holds).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Final

_PREFIX_FIRST: Final = "A-CEGHJ-PR-TW-Z"  # not D F I Q U V
_PREFIX_SECOND: Final = "A-CEGHJ-NPR-TW-Z"  # nor O
_BAD_PREFIXES: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_DIGITS6: Final = r"\d\s*\d\s*\d\s*\d\s*\d\s*\d"
_WITH_SUFFIX: Final = re.compile(
    rf"(?=([{_PREFIX_FIRST}]\s*[{_PREFIX_SECOND}]\s*{_DIGITS6}\s*[A-D])(?!\d))", re.IGNORECASE
)
_WITHOUT_SUFFIX: Final = re.compile(
    rf"(?<![A-Z0-9])([{_PREFIX_FIRST}]\s*[{_PREFIX_SECOND}]\s*{_DIGITS6})(?![A-Z0-9])",
    re.IGNORECASE,
)

_MONTHS: Final = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])"
)
_YEAR: Final = r"(?:19|20)\d\d"
_DAY_SUFFIX: Final = r"(?:st|nd|rd|th)?"
_DATE: Final = re.compile(
    "|".join(
        [
            rf"(?<!\d)(?P<ymd_y>{_YEAR})(?P<ymd_s>[-/. ])(?P<ymd_m>\d{{1,2}})(?P=ymd_s)"
            rf"(?P<ymd_d>\d{{1,2}})(?!\d)",
            rf"(?<!\d)(?P<xy_a>\d{{1,2}})(?P<xy_s>[-/. ])(?P<xy_b>\d{{1,2}})(?P=xy_s)"
            rf"(?P<xy_y>{_YEAR})(?!\d)",
            r"(?<!\d)(?P<yy_a>\d\d)(?P<yy_s>[/.])(?P<yy_b>\d\d)(?P=yy_s)(?P<yy_y>\d\d)(?!\d)",
            r"(?<!\d)(?P<compact>\d{8})(?!\d)",
            rf"(?<![\da-z])(?P<dm_d>\d{{1,2}}){_DAY_SUFFIX}[-/.\s]*(?:of[-/.\s]+)?(?P<dm_m>{_MONTH})"
            rf"[-/.,\s]*(?P<dm_y>{_YEAR}|\d\d)(?!\d)",
            rf"(?<![a-z])(?P<md_m>{_MONTH})[-/.\s]*(?P<md_d>\d{{1,2}}){_DAY_SUFFIX}(?![\d])"
            rf"[-/.,\s]*(?P<md_y>{_YEAR})(?!\d)",
        ]
    ),
    re.IGNORECASE,
)


_DIGIT: Final = re.compile(r"\d")

_SHAPE_CORE: Final = re.compile(
    "|".join(
        [
            r"\d(?:[-/. ]\d{1,2}[-/. ]\d|\d{7})",
            rf"[{_PREFIX_FIRST}]\s*[{_PREFIX_SECOND}]\s*{_DIGITS6}",
            rf"(?=[adfjmnos]){_MONTH}[-/.,\s]*\d",
        ]
    ),
    re.IGNORECASE,
)
"""What every value of either shape contains, matched where the value is: one search
that proves most ids (``evd-1-000123``) hold neither shape before the detailed scans.

- ``YYYY-MM-DD``, ``DD-MM-YYYY``, ``DD/MM/YY`` (and ``MM-DD-``): a digit, a separator,
  one or two digits, a separator, a digit (any two of the separators: a superset);
  ``YYYYMMDD``, ``DDMMYYYY``: eight digits;
- a NINO, with or without its suffix: its two prefix letters and six digits, the very
  sub-pattern both NINO patterns start their group with;
- a day and a month name either way round: the month name (as written in the date
  pattern, behind a look-ahead for its first letter that lets other positions fail at
  once), any of the separators either pattern allows after it, then a digit (the day,
  or the year after ``17 May``).

Each is a sub-pattern of the pattern it stands for, with the same flags, so wherever a
shape matches, this matches too (tests/unit/test_personal_data_shapes.py checks it on
generated text)."""


def may_hold_personal_data(text: str) -> bool:
    """False only when ``text`` cannot hold either shape: every NINO holds six digits and
    every date-shaped run at least one (``\\d`` as in the patterns, any script's digits).
    One scan for a digit, so a long run of letters (a padded or inflated value) costs
    microseconds, not the full pattern matching below."""
    return _DIGIT.search(text) is not None


def may_hold_a_shape(text: str) -> bool:
    """False only when ``text`` cannot hold either shape (:data:`_SHAPE_CORE`): a digit
    test first (long text without one costs microseconds), then one search."""
    return _DIGIT.search(text) is not None and _SHAPE_CORE.search(text) is not None


def _valid_prefix(candidate: str) -> bool:
    prefix = "".join(candidate.split())[:2].upper()
    return prefix not in _BAD_PREFIXES


def nino_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a NINO-shaped value (see the module docstring), in order."""
    if not may_hold_a_shape(text):
        return []
    return _nino_spans(text)


def _nino_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span(1) for m in _WITH_SUFFIX.finditer(text) if _valid_prefix(m.group(1))] + [
        m.span(1) for m in _WITHOUT_SUFFIX.finditer(text) if _valid_prefix(m.group(1))
    ]
    return _merged(spans)


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _two_digit_year(value: str) -> int:
    return 1900 + int(value)  # any century: only whether the day exists matters


def _month(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def _is_calendar_date(m: re.Match[str]) -> bool:
    g = m.groupdict()
    if g["ymd_y"] is not None:
        return _is_date(int(g["ymd_y"]), int(g["ymd_m"]), int(g["ymd_d"]))
    if g["xy_y"] is not None:
        a, b, year = int(g["xy_a"]), int(g["xy_b"]), int(g["xy_y"])
        return _is_date(year, b, a) or _is_date(year, a, b)
    if g["yy_y"] is not None:
        a, b, short = int(g["yy_a"]), int(g["yy_b"]), _two_digit_year(g["yy_y"])
        return _is_date(short, b, a) or _is_date(short, a, b)
    if g["compact"] is not None:
        digits = g["compact"]
        ymd = digits[:2] in ("19", "20") and _is_date(
            int(digits[:4]), int(digits[4:6]), int(digits[6:])
        )
        dmy = digits[4:6] in ("19", "20") and _is_date(
            int(digits[4:]), int(digits[2:4]), int(digits[:2])
        )
        return ymd or dmy
    if g["dm_y"] is not None:
        written: str = g["dm_y"]
        full = int(written) if len(written) == 4 else _two_digit_year(written)
        return _is_date(full, _month(g["dm_m"]), int(g["dm_d"]))
    return _is_date(int(g["md_y"]), _month(g["md_m"]), int(g["md_d"]))


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a date-shaped value (see the module docstring), in order."""
    if not may_hold_a_shape(text):
        return []
    return _date_spans(text)


def _date_spans(text: str) -> list[tuple[int, int]]:
    """Calendar dates, in order. A match that is no calendar date ("0jan 01", day 0) is
    tried again one character on, so it cannot swallow the start of a real date after it
    ("0jan 01-Jan-00"). Each position starts at most one failed match, and a match is
    short, so the scan stays linear in the text."""
    spans: list[tuple[int, int]] = []
    position = 0
    while (m := _DATE.search(text, position)) is not None:
        if _is_calendar_date(m):
            spans.append(m.span())
            position = m.end()
        else:
            position = m.start() + 1
    return spans


_CACHED_MAX_CHARS: Final = 100
"""Texts up to this long (ids, names) have their answer kept: the same participant,
contract and provider ids recur in most events, so decoding checks each once."""


def personal_data_shape(text: str) -> str | None:
    """What personal-data shape ``text`` holds ("a NINO" / "a date"), or None."""
    if len(text) <= _CACHED_MAX_CHARS:
        return _shape_of_short(text)
    return _shape(text)


@lru_cache(maxsize=16384)
def _shape_of_short(text: str) -> str | None:
    return _shape(text)


def _shape(text: str) -> str | None:
    if not may_hold_a_shape(text):
        return None  # most ids: one search, no detailed scan
    if _nino_spans(text):
        return "a NINO"
    if _date_spans(text):
        return "a date"
    return None


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
