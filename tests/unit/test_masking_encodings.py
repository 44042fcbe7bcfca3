"""Masking finds a NINO and a date of birth whatever the encoding (issue 11, item 2).

A careless provider sends the referral JSON-encoded inside a JSON string (several times
over), the date of birth in free text of a field nobody asked for, a CSV line, bytes that
are not UTF-8. A property test generates such encodings; the corpus keeps the examples
that once got through (tests/unit/corpus/personal_data_leaks.json).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.masking import mask_original
from tests.unit.personal_data_strategies import DATE_SPELLINGS, dates, ninos, spell_nino

CORPUS = Path(__file__).parent / "corpus" / "personal_data_leaks.json"


def _corpus() -> list[Any]:
    examples = json.loads(CORPUS.read_text(encoding="utf-8"))["examples"]
    return [pytest.param(e, id=e["name"]) for e in examples]


def _value(example: dict[str, Any]) -> bytes:
    if "value_b64" in example:
        return base64.b64decode(example["value_b64"])
    return str(example["value"]).encode()


@pytest.mark.parametrize("example", _corpus())
def test_the_corpus_of_past_leaks_stays_masked(example: dict[str, Any]) -> None:
    masked = mask_original(_value(example)).decode(errors="replace")
    assert [p for p in example["personal"] if p in masked] == []


def _referral(nino: str, born: str, notes: str | None) -> dict[str, Any]:
    referral: dict[str, Any] = {
        "type": "referral",
        "provider_id": "prov-whp-central",
        "contract_id": "whp-central",
        "referral_id": "ref-1",
        "borough": "Camden",
        "referral_date": "2024-03-18",
    }
    if nino:
        referral["nino"] = nino
    referral["date_of_birth" if notes is None else "notes"] = (
        born if notes is None else f"{notes} {born}"
    )
    return referral


def _json_n_times(document: Any, times: int) -> str:
    text = json.dumps(document)
    for _ in range(times):
        text = json.dumps(text)
    return text


def _csv(values: list[str], separator: str) -> str:
    return separator.join(values) + "\n"


@st.composite
def careless_originals(draw: st.DrawFn) -> tuple[bytes, str, str]:
    """(original bytes, the NINO's six digits or "", the date of birth as written)."""
    nino = draw(ninos()) if draw(st.booleans()) else ""
    written_nino = spell_nino(nino, spaced=draw(st.booleans()), lower=draw(st.booleans()))
    born_on: date = draw(dates())
    born = DATE_SPELLINGS[draw(st.sampled_from(sorted(DATE_SPELLINGS)))](born_on)
    notes = draw(st.sampled_from([None, "born", "DOB:", "client born on", "d.o.b"]))
    referral = _referral(written_nino, born, notes)
    shape = draw(st.sampled_from(["json", "nested", "envelope", "csv", "bytes", "truncated"]))
    if shape == "json":
        text = json.dumps(referral)
    elif shape == "nested":
        text = _json_n_times(referral, draw(st.integers(1, 5)))
    elif shape == "envelope":
        inner = _json_n_times(referral, draw(st.integers(0, 3)))
        text = json.dumps({"type": "referral", "payload": inner})
    elif shape == "csv":
        text = _csv([str(v) for v in referral.values()], draw(st.sampled_from([",", ";", "\t"])))
    elif shape == "bytes":
        return (b"\xff\xfe" + json.dumps(referral).encode(), nino[2:8], born)
    else:  # cut after the date of birth and the NINO, inside what follows them
        text = json.dumps({**referral, "tail": "x" * 20})
        text = text[: len(text) - draw(st.integers(2, 20))]
    return text.encode(), nino[2:8], born


@settings(max_examples=400)
@given(careless_originals())
def test_no_encoding_lets_a_nino_or_date_of_birth_through(
    original: tuple[bytes, str, str],
) -> None:
    value, nino_digits, born = original
    masked = mask_original(value).decode(errors="replace")
    squeezed = re.sub(r"[\s\\\"]", "", masked)
    assert born not in masked
    assert born.replace("/", "\\/") not in masked
    if nino_digits:
        assert nino_digits not in squeezed


def test_event_dates_stay_readable_in_a_rejected_job_start() -> None:
    job = {
        "type": "job_start",
        "placement_id": "plc-1",
        "job_start_date": "2024-04-15",
        "produced_at": "2024-04-15T09:00:00+00:00",
    }
    value = json.dumps(job).encode()
    assert mask_original(value) == value
    # cut short (not JSON any more): the quoted value of a date member still shows
    assert b"2024-04-15" in mask_original(value[:-10])


def test_a_lone_surrogate_beside_a_nino_is_masked_and_kept_escaped() -> None:
    value = b'{"nino":"QQ123456C","note":"\\ud800","dob":"1990-05-17"}'
    masked = mask_original(value)
    text = masked.decode("ascii")  # escaped, so plain ASCII: publishable
    assert "QQ123456C" not in text
    assert "1990-05-17" not in text
    assert "\\ud800" in text
