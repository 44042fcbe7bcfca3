"""The ``outcomes`` CLI against the services as processes: a provider publishes a file
and waits for it, finance reads the payments, a statement and the reconciliation; the
read model shows the same participant, payment and rejection."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from outcomes_cli.__main__ import app
from services.views import create_read_pool, read
from services.views.read_model import CaseloadFilters, CaseloadSort, PageRequest
from tests.e2e.conftest import Pipeline
from tools.quiet import wait_until_quiet

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

EXAMPLE = Path(__file__).resolve().parents[2] / "outcomes_cli" / "examples" / "journey.jsonl"
PROVIDER = "prov-whp-central"
runner = CliRunner()


def outcomes(pipeline: Pipeline, *args: str) -> Result:
    connection = ["--bootstrap", pipeline.bootstrap, "--namespace", pipeline.namespace]
    return runner.invoke(app, [*connection, "--database-url", pipeline.database_url, *args])


def quiet(pipeline: Pipeline) -> None:
    asyncio.run(
        wait_until_quiet(
            pipeline.bootstrap, pipeline.database_url, pipeline.namespace, interval=0.5
        )
    )


EXPECTED_STATUS = [
    "8 events processed: 6 accepted, 1 rejected, 1 held",
    "rejected:",
    "held:",
]


def status_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if not line.startswith("  ")]


def test_a_published_file_is_processed_paid_stated_and_reconciled(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    feed = tmp_path / "journey.jsonl"
    shutil.copy(EXAMPLE, feed)

    published = outcomes(pipeline, "publish", "-p", PROVIDER, str(feed))
    assert published.exit_code == 0, published.output
    assert published.stdout.startswith(f"sent 8 events as {PROVIDER}:")

    status = outcomes(pipeline, "status", "-p", PROVIDER, str(feed), "--wait", "--timeout", "120")
    assert status.exit_code == 0, status.output
    assert status_lines(status) == EXPECTED_STATUS
    assert "line 8: programme_start ref-demo-2" in status.stdout
    assert "start_before_referral" in status.stdout
    assert "line 6: evidence evd-demo-1-x" in status.stdout
    assert "waiting for placement (job start) plc-unknown" in status.stdout

    # The same file again: the same events, nothing new downstream.
    quiet(pipeline)
    again = outcomes(pipeline, "publish", "-p", PROVIDER, str(feed))
    assert again.exit_code == 0, again.output
    status = outcomes(pipeline, "status", "-p", PROVIDER, str(feed), "--wait", "--timeout", "120")
    assert status_lines(status) == EXPECTED_STATUS
    quiet(pipeline)

    payments = outcomes(pipeline, "payments", "--format", "jsonl")
    assert payments.exit_code == 0, payments.output
    rows = [json.loads(line) for line in payments.stdout.splitlines()]
    assert [(r["contract_id"], r["milestone"], r["amount_pence"]) for r in rows] == [
        ("whp-central", "earnings_outcome", 500000)  # 400,000 + 25 % LLW uplift
    ]

    month = rows[0]["paid_on"][:7]
    out = tmp_path / "statements"
    stated = outcomes(
        pipeline, "statement", "--contract", "whp-central", "--month", month, "--out", str(out)
    )
    assert stated.exit_code == 0, stated.output
    stem = out / f"statement-whp-central-{PROVIDER}-{month}"
    lines = list(csv.DictReader(stem.with_suffix(".csv").open()))
    assert [(r["kind"], r["base_pence"], r["uplift_pence"], r["amount_pence"]) for r in lines] == [
        ("payment", "400000", "100000", "500000"),
        ("total payments (1)", "", "", "500000"),
        ("total reversals (0)", "", "", "0"),
        ("net", "400000", "100000", "500000"),
    ]
    assert lines[0]["participant_id"] == rows[0]["participant_id"]
    assert lines[0]["referral_id"] == "ref-demo-1"  # the provider's own reference (§11)
    assert lines[0]["reached_on"] == "2024-05-31"
    assert "£5,000.00" in stem.with_suffix(".html").read_text()

    reconciled = outcomes(pipeline, "reconcile")
    assert reconciled.exit_code == 0, reconciled.output
    assert reconciled.stdout.splitlines()[-1] == "ledger and payment topic agree"

    rejections = outcomes(pipeline, "rejections", "-p", PROVIDER, "--format", "jsonl")
    assert rejections.exit_code == 0, rejections.output
    [rejected] = [json.loads(line) for line in rejections.stdout.splitlines()]
    assert rejected["reason"] == "start_before_referral"
    assert rejected["original"]["referral_id"] == "ref-demo-2"
    assert rejected["original"]["start_date"] == "2024-02-20"

    shown = asyncio.run(read_model_rows(pipeline))
    assert shown["caseload"] == [("ref-demo-1", "in_work", ["job_start", "first_earnings",
                                  "earnings_outcome"])]  # fmt: skip
    assert shown["statement"] == [(rows[0]["payment_id"], "ref-demo-1", 500000)]
    assert shown["attention"] == [("ref-demo-2", "start_before_referral")]


async def read_model_rows(pipeline: Pipeline) -> dict[str, list[Any]]:
    """What the pages would show, from the views service's read model."""
    pool = await create_read_pool(pipeline.database_url, max_size=1)
    try:
        async with pool.acquire() as conn:
            page = await read.caseload(
                conn, PROVIDER, CaseloadFilters(), CaseloadSort.REFERRAL_ID, PageRequest(),
                date(2024, 6, 3),
            )  # fmt: skip
            [statement] = await read.statements(conn, "whp-central", _this_month(), PROVIDER)
            rejected = await conn.fetch("SELECT referral_id, reason FROM rejections")
    finally:
        await pool.close()
    return {
        "caseload": [
            (r.referral_id, r.stage.value, [m.value for m in r.milestones_reached])
            for r in page.rows
        ],
        "statement": [
            (p.payment_id, statement.referral_of(p), p.amount_pence) for p in statement.lines
        ],
        "attention": [(r["referral_id"], r["reason"]) for r in rejected],
    }


def _this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def test_reconcile_lists_a_ledger_row_that_is_not_on_the_topic(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    async def forge() -> None:
        conn = await asyncpg.connect(pipeline.database_url)
        try:
            await conn.execute(
                "INSERT INTO payments.payments (payment_id, contract_id, contract_version,"
                " provider_id, participant_id, milestone, occurrence, reached_on, amount_pence,"
                " base_pence, uplift_pence, milestone_event_id) VALUES ('forged-1', 'whp-west',"
                " '2024-01', 'prov-whp-west', 'pt-x', 'job_start', 1, '2024-05-01', 99900,"
                " 99900, 0, 'none')"
            )
        finally:
            await conn.close()

    asyncio.run(forge())
    result = outcomes(pipeline, "reconcile")
    assert result.exit_code == 1
    assert "  only_in_ledger  whp-west           forged-1  99900 pence" in result.stdout
    assert any(
        line.startswith("whp-west") and line.endswith("DIFFERENT")
        for line in result.stdout.splitlines()
    )
