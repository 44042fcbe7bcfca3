"""Personal data out of rejections: the NINO and the date of birth masked.

A rejected referral goes back to its provider (``provider.<id>.rejections.v1``) with its
original bytes so that the provider can see what it sent; those bytes must not carry
the NINO or the date of birth. :func:`mask_original` is the ``mask_original`` hook of
intake (the runtime applies it before any of the original goes on a topic); the unmasked
original stays only in intake's own ``quarantine`` table. Placement and sustainment use
it too (a careless provider's personal data can arrive on any topic).

Pure: no I/O. Works on whatever arrived -- valid JSON, JSON with odd spellings, JSON
encoded again inside a JSON string (several times over), free text, CSV-like lines,
truncated JSON or no JSON at all:

* every member named ``nino`` / ``date_of_birth`` (any case, at any depth, also inside
  JSON held in a string) is replaced by ``AB******C`` / ``****-**-**``;
* anything NINO-shaped or date-shaped anywhere else (schemas/personal_data.py: any
  spelling of a NINO; any calendar date as ``1990-05-17``, ``17/05/1990``, ``17 May
  1990``, ...) is masked the same way, in member names too -- except the value of a
  member that the event models define as a date (``referral_date``, ``job_start_date``,
  ...), written as an ISO date or instant, so that a rejected job start or evidence
  still shows its dates;
* if the bytes are not JSON, the same happens textually (a date is kept only as the
  quoted value of such a member, ``"period_end": "2024-05-31"``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from schemas.personal_data import date_spans, may_hold_personal_data, nino_spans

NINO_FIELD = "nino"
BIRTH_FIELDS = frozenset({"date_of_birth", "dateofbirth", "dob", "birth_date"})
DATE_MASK = "****-**-**"
EVENT_DATE_FIELDS: Final = frozenset(
    {
        "referral_date",
        "start_date",
        "end_date",
        "job_start_date",
        "period_start",
        "period_end",
        "reported_on",
        "produced_at",
    }
)
"""Members the provider event models define as dates or instants (not of birth)."""
MAX_NESTED_JSON: Final = 8
"""JSON decoded inside strings at most this deep; deeper, a string is masked as text."""

# Two letters, six digits (blanks allowed between), an optional letter: wider than a
# NINO (any letters), so that a mistyped one is masked too.
_NINO_LIKE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z])\s*([A-Za-z])\s*(?:\d\s*){6}([A-Za-z])?(?![A-Za-z0-9])"
)
# "nino": "..." and "date_of_birth": "..." in text that is not valid JSON (any case).
_TEXT_MEMBER = re.compile(
    r'("(?:nino|date_?of_?birth|dob|birth_date)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\s]*)',
    re.IGNORECASE,
)
_EVENT_DATE_MEMBER = re.compile(
    r'"(?:' + "|".join(sorted(EVENT_DATE_FIELDS)) + r')"\s*:\s*"$', re.IGNORECASE
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")


def mask_nino(value: object) -> str:
    """``AB******C``: the first two and the last character of a NINO, whatever its spelling."""
    if not isinstance(value, str):
        return "*********"
    compact = "".join(value.split())
    if len(compact) < 3:
        return "*" * len(compact)
    return compact[:2] + "*" * (len(compact) - 3) + compact[-1]


def mask_text(text: str, *, keep_event_dates: bool = False) -> str:
    """Every NINO-shaped and date-shaped run in ``text`` masked.

    ``keep_event_dates``: a date that is the quoted value of an event date member
    (``"job_start_date": "2024-04-15"``, in JSON that did not parse) stays.
    """
    if not may_hold_personal_data(text):
        return text  # no digit: neither shape (schemas/personal_data.py)
    spans = [(s, e, "nino") for s, e in _nino_like_spans(text)]
    spans += [
        (s, e, "date")
        for s, e in date_spans(text)
        if not (keep_event_dates and _EVENT_DATE_MEMBER.search(text, max(0, s - 40), s))
    ]
    out, last = [], 0
    for start, end, kind in sorted(spans):
        if start < last:
            continue  # overlaps what was masked already
        out += [text[last:start], mask_nino(text[start:end]) if kind == "nino" else DATE_MASK]
        last = end
    return "".join([*out, text[last:]])


def _nino_like_spans(text: str) -> list[tuple[int, int]]:
    return sorted({m.span() for m in _NINO_LIKE.finditer(text)} | set(nino_spans(text)))


def _is_birth_field(name: str) -> bool:
    return name.lower().replace("-", "_") in BIRTH_FIELDS or "birth" in name.lower()


def _mask_value(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        return {mask_text(k): _mask_member(k, v, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v, depth) for v in value]
    if isinstance(value, str):
        return _mask_string(value, depth)
    return value


def _mask_member(name: str, value: Any, depth: int) -> Any:
    if name.lower() == NINO_FIELD:
        return mask_nino(value)
    if _is_birth_field(name):
        return DATE_MASK
    if (
        name.lower() in EVENT_DATE_FIELDS
        and isinstance(value, str)
        and _ISO_DATE.fullmatch(value.strip())
    ):
        return value
    return _mask_value(value, depth)


def _mask_string(text: str, depth: int) -> str:
    """A string value: JSON inside it masked as JSON (its members by name), else as text."""
    if depth < MAX_NESTED_JSON and text.lstrip()[:1] in ("{", "[", '"'):
        try:
            inner = json.loads(text)
        except (ValueError, RecursionError):
            inner = None
        if isinstance(inner, dict | list | str):
            masked = _mask_value(inner, depth + 1)
            if masked == inner and _nothing_personal_in(text):
                return text
            return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))
    return mask_text(text)


def _nothing_personal_in(text: str, value: bytes | None = None) -> bool:
    """The raw text shows no NINO- or date-shaped run, no such member and no escapes (a
    duplicate member that parsing dropped, or an escaped NINO, could hide one)."""
    return (
        (value is None or text.encode() == value)
        and "\\u" not in text
        and mask_text(text, keep_event_dates=True) == text
        and not _TEXT_MEMBER.search(text)
    )


def _mask_free_text(text: str) -> str:
    """Bytes that are not JSON: members named like personal data, then every shape."""
    unescaped = text.replace("\\/", "/")  # "17\/05\/1990": JSON's optional escape of "/"
    masked = mask_text(_TEXT_MEMBER.sub(_mask_member_text, unescaped), keep_event_dates=True)
    return text if masked == unescaped else masked


def _mask_member_text(match: re.Match[str]) -> str:
    name = match.group(1).lower()
    raw = match.group(2)
    if NINO_FIELD in name:
        return match.group(1) + json.dumps(mask_nino(raw.strip('"')))
    return match.group(1) + json.dumps(DATE_MASK)


def mask_original(value: bytes) -> bytes:
    """``value`` with the NINO and the date of birth masked (see the module docstring)."""
    text = value.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        masked = _mask_free_text(text)
        return value if masked == text else masked.encode()  # unchanged: the exact bytes
    try:
        masked_document = _mask_value(document, 0)
    except RecursionError:  # nested deeper than the parser's own limit allows here
        return _mask_free_text(text).encode()
    if masked_document == document and _nothing_personal_in(text, value):
        return value  # nothing personal: the exact bytes
    try:
        return json.dumps(masked_document, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate (``"\\ud800"``): keep it escaped
        return json.dumps(masked_document, ensure_ascii=True, separators=(",", ":")).encode()
