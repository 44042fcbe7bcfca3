"""The CLI's reading and validation of provider files (no I/O beyond tmp files)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outcomes_cli.__main__ import app
from outcomes_cli.envelope import Prepared, event_id_for, prepare
from outcomes_cli.lines import LineError, SourceLine, read_csv, read_jsonl, read_lines
from outcomes_cli.rules import reference
from outcomes_cli.validation import build_report, format_report
from services.common.reference import REFERENCE_DIR

EXAMPLES = Path(__file__).resolve().parents[2] / "outcomes_cli" / "examples"
PROVIDER = "prov-whp-central"


REFERENCE = reference(REFERENCE_DIR)


def test_a_bad_file_gets_one_error_per_bad_line_naming_line_field_and_reason() -> None:
    data = (EXAMPLES / "bad.jsonl").read_bytes()
    report = build_report(read_lines("bad.jsonl", data), PROVIDER, ref=REFERENCE)

    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (2, "nino", "invalid_nino"),
        (3, "eligibility_group", "enum"),
        (4, "start_date", "missing"),
        (5, "start_date", "date_parsing"),
        (6, "colour", "extra_forbidden"),
        (7, "hourly_wage_pence", "int_type"),  # money is integer pence, 14.5 is not
        (8, "gross_earnings_pence", "int_type"),  # ... and "227500" is a string
        (9, "type", "unknown_type"),
        (10, "type", "unknown_type"),
        (11, "provider_id", "provider_mismatch"),
        (12, "-", "not_an_object"),
        (13, "-", "invalid_json"),
    ]
    assert report.lines == 13
    assert [p.number for p in report.valid] == [1]
    assert report.by_reason()[:2] == [("int_type", 2), ("unknown_type", 2)]
    text = format_report(report)
    assert text[0] == (
        "line 2, field nino: nino 'QQ*******' is not a valid National Insurance number"
        " [invalid_nino]"
    )
    assert text[-1] == "13 lines: 1 valid, 12 invalid"


def test_the_example_feeds_are_valid_in_both_formats() -> None:
    for name in ("journey.jsonl", "journey.csv"):
        data = (EXAMPLES / name).read_bytes()
        report = build_report(read_lines(name, data), PROVIDER, ref=REFERENCE)
        assert report.errors == [], name
    csv_report = build_report(
        read_lines("journey.csv", (EXAMPLES / "journey.csv").read_bytes()), PROVIDER
    )
    assert dict(csv_report.by_type) == {
        "referral": 1,
        "programme_start": 1,
        "job_start": 1,
        "evidence": 2,
    }


def test_csv_sections_take_their_type_from_the_header_and_integers_become_numbers() -> None:
    data = (
        b"referral_id,placement_id,job_start_date,employment_type,hourly_wage_pence,weekly_hours\n"
        b"r1,p1,2024-04-01,employed,1400,37.5\n"
        b"\n"
        b"evidence_id\n"
        b"e1\n"
        b"type,placement_id,end_date\n"
        b"job_end,p1,2024-05-01\n"
        b"r2,p2,2024-04-01,employed\n"
    )
    lines = list(read_csv(data))
    assert [(line.number, line.fields) for line in lines[:3]] == [
        (
            2,
            {
                "type": "job_start",
                "referral_id": "r1",
                "placement_id": "p1",
                "job_start_date": "2024-04-01",
                "employment_type": "employed",
                "hourly_wage_pence": 1400,
                "weekly_hours": "37.5",
            },
        ),
        (5, {"type": "evidence_retraction", "evidence_id": "e1"}),
        (7, {"type": "job_end", "placement_id": "p1", "end_date": "2024-05-01"}),
    ]
    assert lines[3].error == LineError(8, "-", "invalid_csv", "4 values for 3 columns")


def test_a_csv_header_that_fits_no_event_type_is_reported() -> None:
    lines = list(read_csv(b"referral_id,evidence_id\nr1,e1\n"))
    assert lines[0].error is not None
    assert (lines[0].error.line, lines[0].error.reason) == (1, "unknown_header")
    assert lines[1].error is not None
    assert lines[1].error.reason == "unknown_type"


def test_undecodable_bytes_and_deep_nesting_are_line_errors_not_crashes() -> None:
    data = b'{"type": "job_end"}\n\xff\xfe\n' + b"[" * 100_000 + b"\n"
    lines = list(read_jsonl(data))
    assert [(line.number, line.error and line.error.reason) for line in lines] == [
        (1, None),
        (2, "invalid_encoding"),
        (3, "invalid_json"),
    ]


def _prepared(raw: str, produced_at: datetime | None = None) -> Prepared:
    line = next(read_jsonl(raw.encode()))
    result = prepare(line, PROVIDER, produced_at)
    assert isinstance(result, Prepared)
    return result


def test_the_envelope_is_filled_deterministically_and_the_text_kept_as_written() -> None:
    raw = '{"type": "programme_start", "referral_id": "r1", "start_date": "2024-03-04"}'
    first, again = _prepared(raw), _prepared(raw)

    assert first == again
    sent = json.loads(first.value)
    assert sent["provider_id"] == PROVIDER
    assert sent["produced_at"] == "2024-03-04T09:00:00Z"  # the event's own date, 09:00 UTC
    assert sent["event_id"] == event_id_for(PROVIDER, "2024-03-04T09:00:00Z", raw)
    assert first.value.decode().endswith(raw[1:])  # the provider's text, byte for byte
    assert (first.key, first.spec.name) == ("r1", "provider.intake.v1")

    later = _prepared(raw, datetime(2024, 3, 5, 12, tzinfo=UTC))
    assert json.loads(later.value)["produced_at"] == "2024-03-05T12:00:00Z"
    assert later.event_id != first.event_id


def test_given_envelope_fields_are_kept() -> None:
    raw = (
        '{"event_id": "6f1c1d2e-0000-4000-8000-000000000001", "produced_at":'
        ' "2024-03-04T10:00:00Z", "provider_id": "prov-whp-central", "type": "evidence_retraction",'
        ' "evidence_id": "e1"}'
    )
    prepared = _prepared(raw)
    assert prepared.value == raw.encode()
    assert prepared.event_id == "6f1c1d2e-0000-4000-8000-000000000001"


def test_a_line_with_another_provider_is_refused() -> None:
    line = SourceLine(3, {"type": "job_end", "provider_id": "prov-x"}, raw="{}")
    assert prepare(line, PROVIDER) == LineError(
        3,
        "provider_id",
        "provider_mismatch",
        "'prov-x' is not the provider you publish as ('prov-whp-central')",
    )


def test_every_line_of_a_long_file_gets_its_own_event_id() -> None:
    raw = b'{"type": "job_end", "placement_id": "p%d", "end_date": "2024-05-01"}\n'
    data = b"".join(raw.replace(b"%d", str(i).encode()) for i in range(2_000))
    report = build_report(read_lines("big.jsonl", data), PROVIDER)
    assert (report.lines, len(report.valid), report.errors) == (2_000, 2_000, [])
    assert len({p.event_id for p in report.valid}) == 2_000


runner = CliRunner()


def test_validate_command_exits_1_on_a_bad_file_and_0_on_a_good_one() -> None:
    bad = runner.invoke(app, ["validate", "-p", PROVIDER, str(EXAMPLES / "bad.jsonl")])
    assert bad.exit_code == 1
    assert "line 11, field provider_id:" in bad.output
    assert "errors by reason:" in bad.output

    good = runner.invoke(app, ["validate", "-p", PROVIDER, str(EXAMPLES / "journey.csv")])
    assert good.exit_code == 0, good.output
    assert good.output.strip() == "5 lines: 5 valid, 0 invalid"


@pytest.mark.parametrize(
    "command",
    ["validate", "publish", "rejections", "status", "payments", "statement", "reconcile"],
)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


RULE_BREAKERS = [
    # referral: too young, a borough outside the contract, an unknown contract, early access
    # without a sub-group; job: hours with 3 decimals; evidence: a 36-day period, reported
    # before its end. Each is rejected by the services on arrival, needing nothing else.
    ({"type": "referral", "date_of_birth": "2010-01-01"}, "date_of_birth", "not_working_age"),
    ({"type": "referral", "borough": "Ealing"}, "borough", "borough_outside_contract"),
    ({"type": "referral", "contract_id": "whp-mars"}, "contract_id", "provider_not_on_contract"),
    ({"type": "referral", "eligibility_group": "early_access"}, "-", "value_error"),  # model
    ({"type": "job_start", "weekly_hours": "37.125"}, "-", "invalid_job"),
    ({"type": "evidence", "period_end": "2024-05-06"}, "period_end", "invalid_period"),
    ({"type": "evidence", "reported_on": "2024-04-29"}, "-", "invalid_evidence"),
]  # fmt: skip


def _valid(kind: str) -> dict[str, object]:
    for raw in (EXAMPLES / "journey.jsonl").read_text().splitlines():
        event: dict[str, object] = json.loads(raw)
        if event["type"] == kind:
            return event
    raise AssertionError(kind)


def test_rules_that_need_nothing_but_the_event_are_checked_before_sending() -> None:
    lines = [json.dumps(_valid(str(change["type"])) | change) for change, _, _ in RULE_BREAKERS]
    data = "\n".join(lines).encode()

    report = build_report(read_lines("rules.jsonl", data), PROVIDER, ref=REFERENCE)
    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (number, field, reason) for number, (_, field, reason) in enumerate(RULE_BREAKERS, start=1)
    ]
    without_rules = build_report(read_lines("rules.jsonl", data), PROVIDER)
    assert [e.line for e in without_rules.errors] == [4]  # the schema's own rule


def test_a_line_over_the_services_size_limit_is_refused_unparsed() -> None:
    event = {"type": "job_end", "placement_id": "p1", "end_date": "2024-05-01"}
    huge = json.dumps(event | {"employer": "x" * 300_000}).encode()
    [error] = build_report(read_lines("huge.jsonl", huge), PROVIDER).errors
    assert (error.field, error.reason) == ("-", "invalid_schema")
    assert error.message.startswith("message is 300,")


def test_publish_sends_nothing_from_a_bad_file_unless_told_to_skip_invalid_lines() -> None:
    bad = str(EXAMPLES / "bad.jsonl")
    refused = runner.invoke(app, ["publish", "-p", PROVIDER, "--dry-run", bad])
    assert refused.exit_code == 1
    assert "nothing sent: fix the lines above, or use --skip-invalid" in refused.output

    skipping = runner.invoke(app, ["publish", "-p", PROVIDER, "--dry-run", "--skip-invalid", bad])
    assert skipping.exit_code == 0, skipping.output
    assert "skipping 12 invalid lines" in skipping.output
    assert "dry run: 1 events would be sent" in skipping.output
