"""Intake's rejected originals: the NINO and the date of birth never leave masked-less."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from services.common.masking import DATE_MASK, mask_nino, mask_original

REFERRAL = {
    "type": "referral",
    "provider_id": "prov-whp-central",
    "referral_id": "ref-1",
    "nino": "AB123456C",
    "date_of_birth": "1990-05-17",
    "borough": "Camden",
    "referral_date": "2024-03-18",
}


def _spellings(nino: str) -> set[str]:
    """The ways a NINO can be written that still identify the person."""
    compact = nino.replace(" ", "").upper()
    spaced = " ".join([compact[:2], compact[2:4], compact[4:6], compact[6:8], compact[8:]])
    return {compact, compact.lower(), spaced, spaced.lower(), compact[2:8]}


def _leaks(masked: bytes, nino: str, dob: str) -> list[str]:
    text = masked.decode()
    squeezed = re.sub(r"\s", "", text).upper()
    found = [s for s in _spellings(nino) if s in text or s.replace(" ", "") in squeezed]
    return found + ([dob] if dob in text else [])


def test_a_referral_keeps_everything_but_its_nino_and_birth_date() -> None:
    masked = json.loads(mask_original(json.dumps(REFERRAL).encode()))
    assert masked == {**REFERRAL, "nino": "AB******C", "date_of_birth": DATE_MASK}


def test_nino_mask_shape_whatever_the_spelling() -> None:
    assert mask_nino("AB123456C") == "AB******C"
    assert mask_nino("ab 12 34 56 c") == "ab******c"
    assert mask_nino(123456789) == "*********"
    assert mask_nino("AB") == "**"


def test_odd_spellings_nesting_and_escapes_are_masked() -> None:
    hostile = (
        '{"type":"referral","NINO":"ab 12 34 56 c","Date_Of_Birth":"1990-05-17",'
        '"borough":"AB123456C lives here","extra":{"nino":"\\u0041B123456C",'
        '"dob":"1990-05-17"},"list":["ab123456c"]}'
    )
    masked = mask_original(hostile.encode())
    assert _leaks(masked, "AB123456C", "1990-05-17") == []
    assert json.loads(masked)["type"] == "referral"


def test_truncated_json_and_garbage_are_masked_textually() -> None:
    whole = json.dumps(REFERRAL)
    for cut in range(len(whole)):
        masked = mask_original(whole[:cut].encode())
        assert "123456" not in masked.decode()
        assert "1990-05-17" not in masked.decode()
    assert b"123456" not in mask_original(b"\xff\xfe AB 12 34 56 C born 17/05/1990")
    assert b"17/05/1990" not in mask_original(b"\xff\xfe AB 12 34 56 C born 17/05/1990")


def test_deep_nesting_does_not_break_masking() -> None:
    value = ("[" * 100_000 + '"AB123456C"' + "]" * 100_000).encode()
    assert b"123456" not in mask_original(value)


def test_bytes_without_personal_data_stay_readable() -> None:
    job = {"type": "job_start", "placement_id": "plc-1", "job_start_date": "2024-04-15"}
    assert json.loads(mask_original(json.dumps(job).encode())) == job


letters = st.sampled_from("ABCEGHJKLMNPRSTWXYZ")


@given(
    prefix=st.tuples(letters, letters),
    digits=st.text(alphabet="0123456789", min_size=6, max_size=6),
    suffix=st.sampled_from("ABCD"),
    year=st.integers(1940, 2010),
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    spaced=st.booleans(),
    lower=st.booleans(),
)
def test_no_nino_or_birth_date_survives_masking(
    prefix: tuple[str, str],
    digits: str,
    suffix: str,
    year: int,
    month: int,
    day: int,
    spaced: bool,
    lower: bool,
) -> None:
    nino = "".join(prefix) + digits + suffix
    written = " ".join([nino[:2], nino[2:4], nino[4:6], nino[6:8], nino[8]]) if spaced else nino
    written = written.lower() if lower else written
    dob = f"{year:04d}-{month:02d}-{day:02d}"
    referral = {**REFERRAL, "nino": written, "date_of_birth": dob, "borough": written}
    masked = mask_original(json.dumps(referral).encode())
    assert _leaks(masked, nino, dob) == []


def test_a_nino_in_a_member_that_parsing_drops_is_masked() -> None:
    duplicated = b'{"borough":"AB123456C","borough":"Camden"}'
    assert b"123456" not in mask_original(duplicated)
    escaped = b'{"borough":"\\u0041B123456C","borough":"Camden"}'
    assert b"123456" not in mask_original(escaped)


def test_bytes_without_personal_data_stay_byte_identical() -> None:
    job = b'{ "type" : "job_start",  "placement_id": "plc-1" }'
    assert mask_original(job) is job


def test_garbage_without_personal_data_stays_byte_identical() -> None:
    garbage = b"\xff this is not json"
    assert mask_original(garbage) is garbage
