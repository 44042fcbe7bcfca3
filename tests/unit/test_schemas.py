"""The event models: strict, frozen, JSON Schema files in step with the models."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from pydantic import ValidationError

from schemas.export import render, stale_files
from schemas.provider import JobStarted, ReferralMade
from schemas.topics import ALL_TOPICS, PROVIDER_INTAKE, PROVIDER_PLACEMENTS, by_name


def referral_json(**changes: object) -> bytes:
    body: dict[str, object] = {
        "type": "referral",
        "event_id": "1b7a4d52-0000-4000-8000-000000000001",
        "produced_at": "2024-03-01T09:00:00Z",
        "provider_id": "prov-whp-central",
        "contract_id": "whp-central",
        "referral_id": "ref-1",
        "nino": "AB123456C",
        "date_of_birth": "1990-05-17",
        "borough": "Camden",
        "eligibility_group": "disability",
        "referral_source": "jobcentre",
        "referral_date": "2024-03-01",
    }
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_committed_json_schema_files_match_the_models() -> None:
    assert stale_files() == []


def test_every_topic_has_a_schema_naming_its_owner_and_key() -> None:
    for spec in ALL_TOPICS:
        schema = json.loads(render(spec))
        assert schema["title"] == spec.name
        assert f"Owner: {spec.owner}; key: {spec.key_field}." in schema["description"]


def test_topic_names_are_unique_and_found_by_name() -> None:
    names = [spec.name for spec in ALL_TOPICS]
    assert len(names) == len(set(names))
    assert by_name("provider.intake.v1") is PROVIDER_INTAKE
    with pytest.raises(KeyError):
        by_name("no.such.topic")


def test_a_valid_referral_decodes_to_its_model() -> None:
    event = PROVIDER_INTAKE.adapter.validate_json(referral_json())
    assert isinstance(event, ReferralMade)
    assert event.event_id == UUID("1b7a4d52-0000-4000-8000-000000000001")
    assert event.referral_date == date(2024, 3, 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"surprise": 1}, "surprise"),  # unknown field
        ({"referral_date": None}, "referral_date"),  # missing field
        ({"referral_date": "2024-02-30"}, "referral_date"),  # bad date
        ({"referral_date": 20240301}, "referral_date"),  # wrong type
        ({"produced_at": "2024-03-01T09:00:00"}, "produced_at"),  # naive instant
        ({"eligibility_group": "everyone"}, "eligibility_group"),
        ({"type": "referal"}, "type"),
    ],
)
def test_schema_errors_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        PROVIDER_INTAKE.adapter.validate_json(referral_json(**changes))
    assert field in str(raised.value)


def test_money_must_be_integer_pence() -> None:
    job = {
        "type": "job_start",
        "event_id": "1b7a4d52-0000-4000-8000-000000000002",
        "produced_at": "2024-03-01T09:00:00Z",
        "provider_id": "prov-whp-central",
        "referral_id": "ref-1",
        "placement_id": "plc-1",
        "job_start_date": "2024-04-01",
        "employment_type": "employed",
        "hourly_wage_pence": 1150.5,
        "weekly_hours": "37.5",
    }
    with pytest.raises(ValidationError, match="hourly_wage_pence"):
        PROVIDER_PLACEMENTS.adapter.validate_json(json.dumps(job))
    job["hourly_wage_pence"] = 1150
    event = PROVIDER_PLACEMENTS.adapter.validate_json(json.dumps(job))
    assert isinstance(event, JobStarted)
    assert event.weekly_hours == Decimal("37.5")


def test_events_are_frozen() -> None:
    event = PROVIDER_INTAKE.adapter.validate_json(referral_json())
    with pytest.raises(ValidationError):
        event.referral_id = "other"
    assert event.produced_at == datetime(2024, 3, 1, 9, tzinfo=UTC)
