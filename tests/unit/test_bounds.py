"""Every provider field is bounded and every hostile shape is invalid_schema (domain.md §10)."""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest

from schemas.bounds import MAX_MESSAGE_BYTES, MAX_PENCE, MAX_SEPARATORS, MAX_VERSION, parse_hours
from schemas.topics import (
    MILESTONES,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    TopicSpec,
)
from services.common.codec import Undecodable, decode, input_limits, max_message_bytes
from services.common.messages import RawRecord, Received

STAMP = {
    "event_id": "1b7a4d52-0000-4000-8000-000000000001",
    "produced_at": "2024-03-01T09:00:00Z",
    "provider_id": "prov-whp-central",
}
VALID: dict[str, tuple[TopicSpec, dict[str, Any]]] = {
    "referral": (
        PROVIDER_INTAKE,
        {
            "contract_id": "whp-central",
            "referral_id": "ref-1",
            "nino": "AB123456C",
            "date_of_birth": "1990-05-17",
            "borough": "Camden",
            "eligibility_group": "disability",
            "referral_source": "jobcentre",
            "referral_date": "2024-03-01",
        },
    ),
    "programme_start": (PROVIDER_INTAKE, {"referral_id": "ref-1", "start_date": "2024-03-04"}),
    "programme_end": (
        PROVIDER_INTAKE,
        {"referral_id": "ref-1", "end_date": "2024-09-01", "reason": "moved away"},
    ),
    "job_start": (
        PROVIDER_PLACEMENTS,
        {
            "referral_id": "ref-1",
            "placement_id": "plc-1",
            "job_start_date": "2024-04-01",
            "employment_type": "employed",
            "hourly_wage_pence": 1200,
            "weekly_hours": "37.5",
            "employer_name": "Marks & Spencer plc",
            "sic_sector": "G47 retail",
        },
    ),
    "job_end": (PROVIDER_PLACEMENTS, {"placement_id": "plc-1", "end_date": "2024-06-01"}),
    "evidence": (
        PROVIDER_EVIDENCE,
        {
            "placement_id": "plc-1",
            "evidence_id": "evd-1",
            "version": 2,
            "kind": "payslip",
            "period_start": "2024-04-01",
            "period_end": "2024-04-30",
            "gross_earnings_pence": 150000,
            "hours_worked": "160.25",
            "reported_on": "2024-05-02",
        },
    ),
    "evidence_retraction": (PROVIDER_EVIDENCE, {"evidence_id": "evd-1"}),
}


def raw(event_type: str, **changes: object) -> tuple[TopicSpec, bytes]:
    spec, fields = VALID[event_type]
    body = {"type": event_type, **STAMP, **fields, **changes}
    return spec, json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def decoded(spec: TopicSpec, value: bytes, max_bytes: int | None = None) -> object:
    return decode(RawRecord(spec, spec.name, 0, 0, None, value), max_bytes)


def rejected(event_type: str, **changes: object) -> str:
    """The codec's message for the event with ``changes``; fails if it was accepted."""
    result = decoded(*raw(event_type, **changes))
    assert isinstance(result, Undecodable), f"accepted: {changes}"
    return result.message


def accepted(event_type: str, **changes: object) -> Any:
    result = decoded(*raw(event_type, **changes))
    assert isinstance(result, Received), getattr(result, "message", "")
    return result.event


@pytest.mark.parametrize("event_type", sorted(VALID))
def test_the_valid_examples_decode(event_type: str) -> None:
    assert accepted(event_type).type == event_type


# --- strings: lengths and character sets ------------------------------------------------

ID_FIELDS = [
    ("referral", "referral_id"),
    ("programme_start", "referral_id"),
    ("programme_end", "referral_id"),
    ("job_start", "referral_id"),
    ("job_start", "placement_id"),
    ("job_end", "placement_id"),
    ("evidence", "placement_id"),
    ("evidence", "evidence_id"),
    ("evidence_retraction", "evidence_id"),
]


@pytest.mark.parametrize(("event_type", "field"), ID_FIELDS)
def test_ids_are_at_most_100_characters(event_type: str, field: str) -> None:
    assert getattr(accepted(event_type, **{field: "a" * 100}), field) == "a" * 100
    assert field in rejected(event_type, **{field: "a" * 101})


@pytest.mark.parametrize(("event_type", "field"), ID_FIELDS)
@pytest.mark.parametrize("bad", ["", "a b", "ref'; DROP TABLE x;--", "$(rm -rf /)", "a\x00", "é"])
def test_ids_use_a_plain_character_set(event_type: str, field: str, bad: str) -> None:
    assert field in rejected(event_type, **{field: bad})


@pytest.mark.parametrize("good", ["REF/2024/00123", "plc_1.a:b-c", "0"])
def test_ids_may_use_slashes_dots_colons_underscores(good: str) -> None:
    assert accepted("job_start", placement_id=good).placement_id == good


@pytest.mark.parametrize("event_type", sorted(VALID))
@pytest.mark.parametrize("bad", ["", "a" * 65, "prov.x", "prov x", "prov\x00", "prov/x", "prov:x"])
def test_provider_ids_are_topic_safe_and_short(event_type: str, bad: str) -> None:
    assert "provider_id" in rejected(event_type, provider_id=bad)


def test_contract_ids_are_bounded() -> None:
    assert accepted("referral", contract_id="c" * 64).contract_id == "c" * 64
    assert "contract_id" in rejected("referral", contract_id="c" * 65)
    assert "contract_id" in rejected("referral", contract_id="whp central")


TEXT_FIELDS = [
    ("referral", "nino", 20),
    ("referral", "borough", 100),
    ("referral", "eligibility_subgroup", 200),
    ("programme_end", "reason", 500),
    ("job_start", "employer_name", 200),
    ("job_start", "sic_sector", 200),
]


@pytest.mark.parametrize(("event_type", "field", "limit"), TEXT_FIELDS)
def test_text_lengths_are_bounded(event_type: str, field: str, limit: int) -> None:
    assert len(getattr(accepted(event_type, **{field: "x" * limit}), field)) == limit
    assert field in rejected(event_type, **{field: "x" * (limit + 1)})
    assert field in rejected(event_type, **{field: "x" * 10_000})


@pytest.mark.parametrize(("event_type", "field", "limit"), TEXT_FIELDS)
@pytest.mark.parametrize("bad", ["Cam\x00den", "\x00", "line\nbreak", "tab\there", "\x7f", "   "])
def test_text_has_no_nul_or_control_character_and_is_not_blank(
    event_type: str, field: str, limit: int, bad: str
) -> None:
    assert field in rejected(event_type, **{field: bad})


@pytest.mark.parametrize(
    "borough", ["Hammersmith & Fulham", "King's Lynn", "Ynys Môn", "Camden'; DROP TABLE x;--"]
)
def test_free_text_keeps_punctuation_and_accents(borough: str) -> None:
    assert accepted("referral", borough=borough).borough == borough


@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udfff", b"\\ud800\\u0041"])
def test_a_lone_surrogate_is_not_text(escape: bytes) -> None:
    spec, value = raw("referral", borough="SURROGATE")
    result = decoded(spec, value.replace(b"SURROGATE", escape))
    assert isinstance(result, Undecodable)


def test_a_surrogate_pair_is_text() -> None:
    spec, value = raw("referral", borough="SURROGATE")
    result = decoded(spec, value.replace(b"SURROGATE", b"Camden \\ud83d\\ude00"))
    assert isinstance(result, Received)


# --- enumerations, versions, early access ------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "field"),
    [
        ("referral", "eligibility_group"),
        ("referral", "referral_source"),
        ("job_start", "employment_type"),
        ("evidence", "kind"),
    ],
)
@pytest.mark.parametrize("bad", ["other", "", "PAYSLIP ", 1])
def test_values_outside_an_enumeration(event_type: str, field: str, bad: object) -> None:
    assert field in rejected(event_type, **{field: bad})


@pytest.mark.parametrize("bad", [0, -1, MAX_VERSION + 1, 10**30, "2", 1.0, True])
def test_versions_are_integers_from_1_to_a_million(bad: object) -> None:
    assert "version" in rejected("evidence", version=bad)


@pytest.mark.parametrize("good", [1, MAX_VERSION])
def test_version_bounds_are_inclusive(good: int) -> None:
    assert accepted("evidence", version=good).version == good


def test_an_early_access_referral_needs_its_subgroup() -> None:
    assert "eligibility_subgroup" in rejected("referral", eligibility_group="early_access")
    event = accepted("referral", eligibility_group="early_access", eligibility_subgroup="carers")
    assert event.eligibility_subgroup == "carers"


# --- money -------------------------------------------------------------------------------

MONEY_FIELDS = [("job_start", "hourly_wage_pence"), ("evidence", "gross_earnings_pence")]


@pytest.mark.parametrize(("event_type", "field"), MONEY_FIELDS)
@pytest.mark.parametrize("good", [0, 1, MAX_PENCE])
def test_money_bounds_are_inclusive(event_type: str, field: str, good: int) -> None:
    assert getattr(accepted(event_type, **{field: good}), field) == good


@pytest.mark.parametrize(("event_type", "field"), MONEY_FIELDS)
@pytest.mark.parametrize("bad", [-1, MAX_PENCE + 1, 10**30, 1150.5, 1e3, "1150", True])
def test_money_is_integer_pence_within_bounds(event_type: str, field: str, bad: object) -> None:
    assert field in rejected(event_type, **{field: bad})


@pytest.mark.parametrize(("event_type", "field"), MONEY_FIELDS)
@pytest.mark.parametrize("number", [b"1" + b"0" * 5000, b"1E-999999999", b"1e400", b"-0.0"])
def test_absurd_json_numbers_are_rejected_as_money(
    event_type: str, field: str, number: bytes
) -> None:
    spec, value = raw(event_type, **{field: 424242})
    assert isinstance(decoded(spec, value.replace(b"424242", number)), Undecodable)


# --- hours ---------------------------------------------------------------------------------

HOURS_FIELDS = [("job_start", "weekly_hours"), ("evidence", "hours_worked")]


@pytest.mark.parametrize(("event_type", "field"), HOURS_FIELDS)
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", Decimal(0)),
        ("37.5", Decimal("37.5")),
        ("16.25", Decimal("16.25")),
        ("37.125", Decimal("37.125")),  # 3 decimals: the rules reject it, not the schema
        ("9999.999999", Decimal("9999.999999")),
        ("0100", Decimal(100)),
    ],
)
def test_hours_are_decimal_strings(event_type: str, field: str, text: str, value: Decimal) -> None:
    assert getattr(accepted(event_type, **{field: text}), field) == value


@pytest.mark.parametrize(("event_type", "field"), HOURS_FIELDS)
@pytest.mark.parametrize(
    "bad",
    [
        37.5,  # a JSON number
        37,
        "1E-999999999",
        "1e2",
        "-1",
        "+1",
        "10000",  # 5 integer digits
        "1.1234567",  # 7 decimals: absurd precision
        "1" * 10_000,
        "0." + "1" * 10_000,
        "NaN",
        "Infinity",
        "",
        ".5",
        "5.",
        " 5",
        "5\x00",
        "١٢",  # non-ASCII digits
    ],
)
def test_hours_without_a_bounded_plain_decimal_are_invalid(
    event_type: str, field: str, bad: object
) -> None:
    assert field in rejected(event_type, **{field: bad})


@pytest.mark.parametrize(
    "bad", [Decimal("1E-999999999"), Decimal("1E+999999"), Decimal("-1"), Decimal("NaN"), 1.5]
)
def test_hours_built_in_python_are_bounded_too(bad: object) -> None:
    with pytest.raises(ValueError, match="hours"):
        parse_hours(bad)


# --- dates and instants --------------------------------------------------------------------

DATE_FIELDS = [
    ("referral", "date_of_birth"),
    ("referral", "referral_date"),
    ("programme_start", "start_date"),
    ("programme_end", "end_date"),
    ("job_start", "job_start_date"),
    ("job_end", "end_date"),
    ("evidence", "period_start"),
    ("evidence", "period_end"),
    ("evidence", "reported_on"),
]


@pytest.mark.parametrize(("event_type", "field"), DATE_FIELDS)
@pytest.mark.parametrize(
    "bad", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31", "2024-02-30", "20240301", 1]
)
def test_dates_lie_between_1900_and_2100(event_type: str, field: str, bad: object) -> None:
    assert field in rejected(event_type, **{field: bad})


@pytest.mark.parametrize(("event_type", "field"), DATE_FIELDS)
@pytest.mark.parametrize("good", ["1900-01-01", "2100-12-31"])
def test_date_bounds_are_inclusive(event_type: str, field: str, good: str) -> None:
    assert str(getattr(accepted(event_type, **{field: good}), field)) == good


@pytest.mark.parametrize(
    "bad", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-03-01T09:00:00", "yesterday"]
)
def test_produced_at_is_a_bounded_aware_instant(bad: str) -> None:
    assert "produced_at" in rejected("evidence_retraction", produced_at=bad)


@pytest.mark.parametrize(
    "bad",
    [
        "-0",
        "0",
        "1709283600",
        "1709283600.5",
        1709283600,
        0,
        "2024-03-01 09:00:00Z",
        "2024-03-01t09:00:00Z",
        "2024-03-01T09:00:00+01",
        "2024-03-01",
        " 2024-03-01T09:00:00Z",
    ],
)
def test_produced_at_is_only_iso_8601_with_an_offset_never_a_unix_time(bad: object) -> None:
    assert "produced_at: must be an ISO-8601 date and time with an offset" in rejected(
        "evidence_retraction", produced_at=bad
    )


@pytest.mark.parametrize(
    ("good", "utc"),
    [
        ("2024-03-01T09:00:00Z", "2024-03-01T09:00:00+00:00"),
        ("2024-03-01T09:00Z", "2024-03-01T09:00:00+00:00"),
        ("2024-03-01T10:00:00.123456+01:00", "2024-03-01T09:00:00.123456+00:00"),
        ("2024-03-01T10:00:00+0100", "2024-03-01T09:00:00+00:00"),
    ],
)
def test_produced_at_accepts_the_documented_spellings(good: str, utc: str) -> None:
    produced = accepted("evidence_retraction", produced_at=good).produced_at
    assert produced.astimezone(UTC).isoformat() == utc


def test_event_ids_are_uuids() -> None:
    assert "event_id" in rejected("job_end", event_id="x" * 36)


# --- whole messages ------------------------------------------------------------------------


def test_the_default_limit_is_256_kib() -> None:
    assert MAX_MESSAGE_BYTES == 262_144
    assert max_message_bytes() == MAX_MESSAGE_BYTES


def test_a_message_over_the_limit_is_refused_unparsed_with_size_and_limit() -> None:
    spec, value = raw("job_end")
    value = value[:-1] + b', "pad": "' + b"x" * MAX_MESSAGE_BYTES + b'"}'
    result = decoded(spec, value)
    assert isinstance(result, Undecodable)
    assert f"{len(value):,} bytes" in result.message
    assert "262,144" in result.message
    assert "MAX_MESSAGE_BYTES" in result.message


def test_the_limit_is_inclusive_and_configurable() -> None:
    spec, value = raw("job_end")
    assert isinstance(decoded(spec, value, max_bytes=len(value)), Received)
    refused = decoded(spec, value, max_bytes=len(value) - 1)
    assert isinstance(refused, Undecodable)
    assert "over the limit" in refused.message


def test_the_limit_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_MESSAGE_BYTES", "1000")
    input_limits.cache_clear()
    try:
        assert max_message_bytes() == 1000
    finally:
        input_limits.cache_clear()


def just_under_the_limit(prefix: bytes, filler: bytes, suffix: bytes) -> bytes:
    count = (MAX_MESSAGE_BYTES - len(prefix) - len(suffix)) // len(filler)
    value = prefix + filler * count + suffix
    assert MAX_MESSAGE_BYTES - len(filler) < len(value) <= MAX_MESSAGE_BYTES
    return value


HOSTILE = {
    "nesting 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "nested arrays to the limit": just_under_the_limit(b"", b"[", b""),
    "a huge integer": just_under_the_limit(b'{"type":"evidence","version":', b"9", b"}"),
    "a huge decimal string": just_under_the_limit(
        b'{"type":"evidence","hours_worked":"', b"9", b'"}'
    ),
    "a huge exponent": b'{"type":"evidence","hours_worked":1E-999999999}',
    "a huge string id": just_under_the_limit(b'{"type":"evidence","evidence_id":"', b"e", b'"}'),
    "many escapes": just_under_the_limit(b'{"type":"evidence","borough":"', b"\\u0041", b'"}'),
    "many unknown fields": just_under_the_limit(b'{"type":"evidence"', b',"k":1', b"}"),
    "a huge discriminator": just_under_the_limit(b'{"type":"', b"t", b'"}'),
    "truncated JSON": b'{"type":"evidence","evidence_id":"e',
    "not an object": b"[1,2,3]",
    "null": b"null",
    "empty": b"",
    "random bytes": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("spec", [PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE])
def test_hostile_values_are_undecodable_with_a_short_message(spec: TopicSpec, name: str) -> None:
    result = decoded(spec, HOSTILE[name])
    assert isinstance(result, Undecodable)
    assert 0 < len(result.message) < 2_000  # never echoes the input


def test_many_members_are_refused_before_parsing() -> None:
    value = b'{"type":"evidence"' + b',"k":1' * 5_000 + b"}"
    result = decoded(PROVIDER_EVIDENCE, value)
    assert isinstance(result, Undecodable)
    assert "5,001 ':' characters" in result.message


def test_the_longest_valid_event_is_far_from_the_member_limit() -> None:
    spec, value = raw(
        "referral",
        borough=":" * 100,
        eligibility_group="early_access",
        eligibility_subgroup=":" * 200,
        nino=":" * 20,
        referral_id="a" + ":" * 99,
        contract_id="c" + ":" * 63,
    )
    assert value.count(b":") < MAX_SEPARATORS // 4
    assert isinstance(decoded(spec, value), Received)


def test_internal_topics_are_not_size_checked() -> None:
    big = b"x" * (MAX_MESSAGE_BYTES + 1)
    result = decode(RawRecord(MILESTONES, MILESTONES.name, 0, 0, None, big))
    assert isinstance(result, Undecodable)
    assert "over the limit" not in result.message


@pytest.mark.parametrize(
    ("field", "bad", "words"),
    [
        ("borough", "Cam\x00den", "control character"),
        ("referral_id", "ref 1", "A-Z a-z 0-9 _ . : / -"),
        ("provider_id", "prov.x", "no dots"),
    ],
)
def test_pattern_errors_are_spelled_out(field: str, bad: str, words: str) -> None:
    message = rejected("referral", **{field: bad})
    assert f"{field}: " in message
    assert words in message
