"""Personal data out of rejections: the NINO and the date of birth masked.

A rejected referral goes back to its provider (``provider.<id>.rejections.v1``) with its
original bytes so that the provider can see what it sent; those bytes must not carry
the NINO or the date of birth. :func:`mask_original` is the ``mask_original`` hook of
intake (the runtime applies it before any of the original goes on a topic); the unmasked
original stays only in intake's own ``quarantine`` table. Placement and sustainment use
it too, for a referral sent to the wrong topic.

Pure: no I/O. Works on whatever arrived - valid JSON, JSON with odd spellings
(``"Nino"``, nested objects, unicode escapes), truncated JSON or no JSON at all:

* every member named ``nino`` / ``date_of_birth`` (any case, at any depth) is replaced
  by ``AB******C`` / ``****-**-**``;
* anything shaped like a NINO anywhere else (two letters, six digits, a suffix letter,
  with or without spaces, any case) is masked the same way;
* if the bytes are not JSON, the same happens textually.
"""

from __future__ import annotations

import json
import re
from typing import Any

NINO_FIELD = "nino"
BIRTH_FIELDS = frozenset({"date_of_birth", "dateofbirth", "dob", "birth_date"})
DATE_MASK = "****-**-**"

# Two letters, six digits (spaces or other blanks allowed between pairs), a letter.
_NINO_LIKE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z])\s*([A-Za-z])\s*(?:\d\s*){6}([A-Za-z])?(?![A-Za-z0-9])"
)
# "nino": "..." and "date_of_birth": "..." in text that is not valid JSON (any case).
_TEXT_MEMBER = re.compile(
    r'("(?:nino|date_?of_?birth|dob|birth_date)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\s]*)',
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}|\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}")


def mask_nino(value: object) -> str:
    """``AB******C``: the first two and the last character of a NINO, whatever its spelling."""
    if not isinstance(value, str):
        return "*********"
    compact = "".join(value.split())
    if len(compact) < 3:
        return "*" * len(compact)
    return compact[:2] + "*" * (len(compact) - 3) + compact[-1]


def mask_text(text: str) -> str:
    """Every NINO-shaped run in ``text`` masked."""
    return _NINO_LIKE.sub(lambda m: mask_nino(m.group(0)), text)


def _is_birth_field(name: str) -> bool:
    return name.lower().replace("-", "_") in BIRTH_FIELDS or "birth" in name.lower()


def _mask_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {mask_text(k): _mask_member(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def _mask_member(name: str, value: Any) -> Any:
    if name.lower() == NINO_FIELD:
        return mask_nino(value)
    if _is_birth_field(name):
        return DATE_MASK
    return _mask_value(value)


def _mask_member_text(match: re.Match[str]) -> str:
    name = match.group(1).lower()
    raw = match.group(2)
    if NINO_FIELD in name:
        return match.group(1) + json.dumps(mask_nino(raw.strip('"')))
    return match.group(1) + json.dumps(DATE_MASK)


def _nothing_personal_in(text: str, value: bytes) -> bool:
    """The raw text shows no NINO-shaped run, no such member and no escapes (a duplicate
    member that parsing dropped, or an escaped NINO, could hide one)."""
    return (
        text.encode() == value
        and "\\u" not in text
        and not _NINO_LIKE.search(text)
        and not _TEXT_MEMBER.search(text)
    )


def mask_original(value: bytes) -> bytes:
    """``value`` with the NINO and the date of birth masked (see the module docstring)."""
    text = value.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
        masked_document = _mask_value(document)
        if masked_document == document and _nothing_personal_in(text, value):
            return value  # nothing personal: the exact bytes
        return json.dumps(masked_document, ensure_ascii=False, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        masked = _TEXT_MEMBER.sub(_mask_member_text, text)
        # Outside JSON a date next to a NINO-shaped token is taken for a birth date.
        if _NINO_LIKE.search(masked) or masked != text:
            masked = _DATE_LIKE.sub(DATE_MASK, masked)
        masked = mask_text(masked)
        return value if masked == text else masked.encode()  # unchanged: the exact bytes
