"""Ids and free text that leave intake never carry a NINO or a date (issue 11, item 2).

A careless provider's ``referral_id`` = the person's NINO, or "born 17/05/1990" in an
employer name, would travel to every topic and table downstream; such a value is refused
``invalid_schema`` (schemas/bounds.py ``no_personal_data``), by the services' decoder and
by ``outcomes validate`` alike.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from outcomes_cli.__main__ import app
from services.common.codec import Undecodable, decode
from services.common.messages import RawRecord, Received
from tests.unit.personal_data_strategies import DATE_SPELLINGS, dates, ninos, spell_nino
from tests.unit.test_bounds import accepted, raw, rejected

LEAVING_INTAKE = [
    ("referral", "referral_id"),
    ("referral", "contract_id"),
    ("referral", "borough"),
    ("referral", "eligibility_subgroup"),
    ("programme_start", "referral_id"),
    ("programme_end", "referral_id"),
    ("programme_end", "reason"),
    ("job_start", "referral_id"),
    ("job_start", "placement_id"),
    ("job_start", "employer_name"),
    ("job_start", "sic_sector"),
    ("job_end", "placement_id"),
    ("evidence", "placement_id"),
    ("evidence", "evidence_id"),
    ("evidence_retraction", "evidence_id"),
]
IDS = {"referral_id", "placement_id", "evidence_id", "contract_id"}
CARELESS_IDS = ["AB123456C", "ab123456c", "ref-AB123456C", "1990-05-17", "dob-17.05.1990"]
CARELESS_TEXT = ["ab 12 34 56 c", "NI AB123456C", "born 1990-05-17", "DOB 17/05/1990"]


@pytest.mark.parametrize(("event_type", "field"), LEAVING_INTAKE)
@pytest.mark.parametrize("careless", range(4))
def test_a_nino_or_date_in_a_field_that_leaves_intake_is_invalid_schema(
    event_type: str, field: str, careless: int
) -> None:
    value = (CARELESS_IDS if field in IDS else CARELESS_TEXT)[careless]
    message = rejected(event_type, **{field: value})
    assert message.startswith(f"{event_type}.{field}: must not hold a ")
    assert value not in message  # the refusal never echoes it


@given(nino=ninos(), spaced=st.booleans(), lower=st.booleans(), at=st.sampled_from(LEAVING_INTAKE))
def test_any_spelling_of_a_nino_is_refused_in_any_such_field(
    nino: str, spaced: bool, lower: bool, at: tuple[str, str]
) -> None:
    event_type, field = at
    value = f"x-{spell_nino(nino, spaced=spaced, lower=lower)}".replace(" ", "")
    assert "must not hold a NINO" in rejected(event_type, **{field: value})


@given(
    day=dates(),
    spelling=st.sampled_from(sorted(DATE_SPELLINGS)),
    at=st.sampled_from(LEAVING_INTAKE),
)
def test_any_spelling_of_a_date_is_refused_in_any_such_field(
    day: object, spelling: str, at: tuple[str, str]
) -> None:
    event_type, field = at
    written = DATE_SPELLINGS[spelling](day)  # type: ignore[arg-type]
    value = f"id-{written.replace(', ', '-').replace(' ', '-')}" if field in IDS else f"n {written}"
    assert "must not hold a " in rejected(event_type, **{field: value})


@pytest.mark.parametrize("counter", [1, 19, 51990, 170519, 999999])
def test_the_synthetic_feeds_ids_stay_valid(counter: int) -> None:
    ids = {prefix: f"{prefix}-5-{counter:06d}" for prefix in ("ref", "plc", "evd")}
    assert accepted("job_start", referral_id=ids["ref"], placement_id=ids["plc"])
    assert accepted("evidence", placement_id=ids["plc"], evidence_id=ids["evd"])


def test_the_nino_and_date_of_birth_fields_themselves_stay_accepted() -> None:
    referral = accepted("referral", nino="AB 12 34 56 C", date_of_birth="1990-05-17")
    assert referral.nino == "AB 12 34 56 C"


@pytest.mark.parametrize("key", [b"AB123456C", b"born-1990-05-17"])
def test_a_record_keyed_by_personal_data_is_invalid_schema(key: bytes) -> None:
    spec, value = raw("job_start")
    result = decode(RawRecord(spec, spec.name, 0, 0, key, value))
    assert isinstance(result, Undecodable)
    assert result.message.startswith("key: must not hold a ")
    assert isinstance(decode(RawRecord(spec, spec.name, 0, 0, b"plc-5-000019", value)), Received)


def test_outcomes_validate_says_so(tmp_path: object) -> None:
    lines = [
        {"type": "programme_start", "referral_id": "AB123456C", "start_date": "2024-04-01"},
        {
            "type": "job_start",
            "referral_id": "ref-1",
            "placement_id": "plc-1",
            "job_start_date": "2024-04-15",
            "employment_type": "employed",
            "hourly_wage_pence": 1200,
            "weekly_hours": "37.5",
            "employer_name": "born 17/05/1990",
        },
    ]
    path = f"{tmp_path}/careless.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        out.write("".join(json.dumps(line) + "\n" for line in lines))
    result = CliRunner().invoke(app, ["validate", "-p", "prov-whp-central", path])
    assert result.exit_code == 1
    assert "line 1, field referral_id: must not hold a NINO" in result.output
    assert "line 2, field employer_name: must not hold a date" in result.output
    assert "AB123456C" not in result.output
    assert "17/05/1990" not in result.output
