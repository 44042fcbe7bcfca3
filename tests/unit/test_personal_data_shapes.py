"""The two shapes of personal data (schemas/personal_data.py): a NINO and a date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import personal_data
from schemas.personal_data import (
    date_spans,
    may_hold_personal_data,
    nino_spans,
    personal_data_shape,
)
from services.common import masking
from tests.unit.personal_data_strategies import DATE_SPELLINGS, dates, ninos, spell_nino


@pytest.mark.parametrize(
    "text",
    [
        "AB123456C",
        "ab123456c",
        "AB 12 34 56 C",
        "ref-AB123456C",
        "refAB123456C",  # a whole NINO inside a word
        "AB123456",  # no suffix, standing alone
        "id: ce 65 43 21",
        "JT123456D-plc",
    ],
)
def test_nino_shaped(text: str) -> None:
    assert nino_spans(text)
    assert personal_data_shape(text) == "a NINO"


@pytest.mark.parametrize(
    "text",
    [
        "plc-5-000019",  # the synthetic feed's ids
        "ref-20-000123",
        "evd-7-999999",
        "usr123456",  # no suffix, inside a word
        "AB1234567",  # seven digits
        "QQ123456C",  # Q is never a prefix letter
        "GB123456A",  # a prefix never issued
        "AO123456A",  # O is never the second letter
        "AB123456E",  # suffix outside A-D, inside a word: not standing alone either
        "s15-plc-1",
        "Camden",
    ],
)
def test_not_nino_shaped(text: str) -> None:
    assert nino_spans(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "1990-05-17",
        "1990/05/17",
        "1990.5.7",
        "born 1990-05-17",
        "17/05/1990",
        "05/17/1990",  # month first
        "17-05-1990",
        "17.05.1990",
        "17 05 1990",
        "17/05/90",
        "19900517",
        "17051990",
        "17 May 1990",
        "17th of May, 1990",
        "May 17, 1990",
        "september 3rd 1985",
        "17-May-90",
        "2024-02-29",  # a leap day
        "ref-2024-03-18",  # any calendar date: a field cannot tell which date it holds
    ],
)
def test_date_shaped(text: str) -> None:
    assert date_spans(text)
    assert personal_data_shape(text) == "a date"


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29",  # not a leap year
        "1990-13-01",
        "31/04/1990",  # April has 30 days
        "1890-05-17",  # year outside 1900-2099
        "plc-5-000019",
        "evd-12-000031",
        "119900517",  # nine digits
        "1.2.10",  # a version number
        "47.11",  # a SIC code
        "37.5",
        "Flat 3, 12 High Street",
        "Mayfair 2024",  # a month name inside a word
        "16",
    ],
)
def test_not_date_shaped(text: str) -> None:
    assert date_spans(text) == []


@given(nino=ninos(), spaced=st.booleans(), lower=st.booleans(), around=st.text(max_size=5))
def test_every_valid_nino_is_found_however_written(
    nino: str, spaced: bool, lower: bool, around: str
) -> None:
    written = spell_nino(nino, spaced=spaced, lower=lower)
    text = f"{around} {written} {around}"
    start = len(around) + 1
    end = start + len(written)
    assert any(s <= start and end <= e for s, e in nino_spans(text))


@given(day=dates(), spelling=st.sampled_from(sorted(DATE_SPELLINGS)))
def test_every_calendar_date_is_found_in_every_spelling(day: date, spelling: str) -> None:
    written = DATE_SPELLINGS[spelling](day)
    text = f"notes: born {written}, moved"
    assert any(text[s:e] == written for s, e in date_spans(text)), (spelling, written)


@given(seed=st.integers(0, 10**6), counter=st.integers(0, 999_999))
def test_the_feeds_ids_are_never_personal(seed: int, counter: int) -> None:
    for prefix in ("ref", "plc", "evd"):
        assert personal_data_shape(f"{prefix}-{seed}-{counter:06d}") is None


_NO_DIGITS = st.characters(blacklist_categories=("Nd", "Cs"))  # Nd: what ``\\d`` matches
_WORDS = st.sampled_from(["AB", "ce ", "May ", "th of", "Sept", "June ", "/", "-", ".", " ", "of "])


@given(text=st.lists(st.text(_NO_DIGITS, max_size=8) | _WORDS, max_size=40).map("".join))
def test_every_shape_holds_a_digit(text: str) -> None:
    # the law the digit check relies on: no pattern of either shape (nor masking's looser
    # NINO-like one) matches text without a digit, so skipping such text hides nothing
    assert not may_hold_personal_data(text)
    patterns = [
        personal_data._WITH_SUFFIX,
        personal_data._WITHOUT_SUFFIX,
        personal_data._DATE,
        masking._NINO_LIKE,
    ]
    assert [m.group(0) for p in patterns for m in p.finditer(text)] == []


@pytest.mark.parametrize("digit", ["1", "\u0661", "\u09e7"])  # ASCII, Arabic-Indic, Bengali
def test_any_digit_means_the_text_is_scanned(digit: str) -> None:
    assert may_hold_personal_data(f"abc{digit}def")


def test_a_shape_after_a_long_run_of_letters_is_still_found() -> None:
    # an inflated or padded value: a quarter of a megabyte of letters, then the shapes
    text = "A" * 250_000 + " born 17 May 1990, AB 12 34 56 C"
    assert date_spans(text) == [(250_006, 250_017)]
    assert nino_spans(text) == [(250_019, 250_032)]
    assert masking.mask_text(text) == "A" * 250_000 + f" born {masking.DATE_MASK}, AB******C"


# -- the pre-filter (``may_hold_a_shape``): never hides a shape ---------------------------

_PIECES = st.sampled_from(
    [
        *"0123456789",
        "\u0661",  # Arabic-Indic one
        "\u09e7",  # Bengali one
        "\uff11",  # fullwidth one
        *"-/.,: _",
        "\t",
        "\u00a0",  # no-break space (``\\s``)
        "\u2003",  # em space
        *"ABCEJKMNOPSTWZabcejkmnopstwz",
        "\u017f",  # long s: folds to s
        "\u212a",  # Kelvin sign: folds to k
        "\u0130",  # dotted capital I
        "st",
        "th",
        "of ",
        "jan",
        "June",
        "Sept",
        "may",
        "DEC",
        "19",
        "20",
        "AB",
        "ce ",
    ]
)
_NOISY = st.lists(_PIECES, max_size=30).map("".join)


_SPACED: dict[str, Callable[[date], str]] = {
    "iso spaces": lambda d: f"{d.year} {d.month} {d.day}",
    "uk spaces": lambda d: f"{d.day:02d} {d.month:02d} {d.year}",
    "uk dots short year": lambda d: d.strftime("%d.%m.%y"),
}


@st.composite
def _shapes_in_noise(draw: st.DrawFn, apart: str = "") -> str:
    """A NINO or a date, spelled any way, between pieces of noise (``apart`` between)."""
    if draw(st.booleans()):
        shape = spell_nino(draw(ninos()), spaced=draw(st.booleans()), lower=draw(st.booleans()))
    else:
        spelling = draw(st.sampled_from(sorted(DATE_SPELLINGS)) | st.sampled_from(sorted(_SPACED)))
        shape = {**DATE_SPELLINGS, **_SPACED}[spelling](draw(dates()))
    return draw(_NOISY) + apart + shape + apart + draw(_NOISY)


def _scanned_in_full(text: str) -> str | None:
    if personal_data._nino_spans(text):
        return "a NINO"
    if personal_data._date_spans(text):
        return "a date"
    return None


@settings(max_examples=1500)
@given(text=_NOISY | _shapes_in_noise() | st.text(max_size=40))
def test_the_pre_filter_gives_the_answer_of_the_full_scan(text: str) -> None:
    found = [
        m.group(0)
        for p in (personal_data._WITH_SUFFIX, personal_data._WITHOUT_SUFFIX, personal_data._DATE)
        for m in p.finditer(text)
    ]
    if found:
        assert personal_data.may_hold_a_shape(text), found
    assert personal_data._shape(text) == _scanned_in_full(text)
    assert nino_spans(text) == personal_data._nino_spans(text)
    assert date_spans(text) == personal_data._date_spans(text)


@given(text=_shapes_in_noise(apart=" "))
def test_a_shape_set_apart_in_noise_passes_the_pre_filter(text: str) -> None:
    assert personal_data.may_hold_a_shape(text)


def test_a_date_after_a_day_zero_month_run_is_found() -> None:
    # a day-month match that is no calendar date ('0jan 01', day 0) once swallowed the
    # day of the real date after it
    assert personal_data._shape("0jan 01-Jan-00") == "a date"
    assert personal_data.date_spans("0jan 01-Jan-00") == [(5, 14)]


@given(seed=st.integers(0, 10**6), counter=st.integers(0, 999_999))
def test_the_feeds_ids_are_cleared_by_the_pre_filter_alone(seed: int, counter: int) -> None:
    for prefix in ("ref", "plc", "evd"):
        assert not personal_data.may_hold_a_shape(f"{prefix}-{seed}-{counter:06d}")


_DATE_FORMATS = ("%d-%b-%y", "%d %B %Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%B %d %Y")


@given(
    before=st.lists(
        st.sampled_from(["0", "00", "1", "31", "32", "jan", "May", "feb", " ", "-", "/", "."]),
        max_size=6,
    ).map("".join),
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    spelling=st.sampled_from(_DATE_FORMATS),
)
def test_a_date_after_any_run_of_date_like_characters_is_found(
    before: str, day: date, spelling: str
) -> None:
    # whatever comes before it (a space apart), a calendar date is within a found span
    written = day.strftime(spelling)
    text = f"{before} {written}"
    start = len(before) + 1
    spans = personal_data.date_spans(text)
    assert any(s < start + len(written) and e > start for s, e in spans), (text, spans)
