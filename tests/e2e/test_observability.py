"""The real Prometheus scrapes the running services; every dashboard and alert expression
evaluates without error and names only metrics that exist."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import urllib.error
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

import services.common.metrics  # noqa: F401  (registers every metric of the services)
from deploy.prometheus.config import write
from deploy.prometheus.expressions import (
    alert_names,
    dashboard_queries,
    describe,
    get,
    metric_names,
    query,
)
from schemas.provider import ReferralMade
from schemas.topics import PROVIDER_INTAKE, provider_topic
from tests.e2e.conftest import Pipeline, free_port
from tools.feed.expectation import expected_counts
from tools.feed.generate import generate_feed
from tools.feed.publish import publish_feed
from tools.quiet import wait_until_quiet
from tools.summary import read_summary

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PARTICIPANTS = 40
SEED = 11
BAD_RECORDS = 3
BAD_RECORDS_PROVIDER = "prov-whp-central"


@pytest.fixture(scope="module")
def prometheus(pipeline: Pipeline, tmp_path_factory: Any) -> Iterator[str]:
    """Our own Prometheus on a free port, scraping the pipeline's services every second."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus not found: bash deploy/prometheus.sh install")
    state: Path = tmp_path_factory.mktemp("prometheus")
    targets = {s: f"127.0.0.1:{port}" for s, port in pipeline.processes.ports.items()}
    config = write(
        state / "prometheus.yml", targets, scrape_interval="1s", evaluation_interval="1s"
    )
    port = free_port()
    with (state / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={state / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, state / "prometheus.log")
        # Targets are applied a few seconds after start: wait for the first scrapes, so
        # counters are seen before the feed moves them.
        _wait_for(url, 'count(up{job="outcomes"} == 1)', len(targets), seconds=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited: {log.read_text()[-2000:]}")
        try:
            get(url, "/api/v1/status/buildinfo")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    pytest.fail("prometheus not ready after 60 s")


def _scalar(url: str, expr: str) -> float | None:
    result = query(url, expr)["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _wait_for(url: str, expr: str, expected: float, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    seen = None
    while time.monotonic() < deadline:
        seen = _scalar(url, expr)
        if seen == expected:
            return
        time.sleep(1)
    pytest.fail(f"{expr} = {seen}, expected {expected} after {seconds} s")


def _registry_names() -> set[str]:
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in suffixes.get(family.type, ("",))
    }


pipeline_rejections: list[tuple[str, int]] = []  # (reason, count) on the rejection topics


def _by_reason(rejections: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for by_reason in rejections.values():
        for reason, n in by_reason.items():
            totals[reason] = totals.get(reason, 0) + n
    return totals


@pytest.fixture(scope="module")
def after_a_feed(pipeline: Pipeline, prometheus: str) -> str:
    """A tiny feed and a few bad records, processed until the pipeline is quiet."""
    items = generate_feed(PARTICIPANTS, SEED)
    expected = sum(p.count for p in expected_counts(items).payments_by_contract.values())
    assert expected > 0
    topic = provider_topic(PROVIDER_INTAKE, BAD_RECORDS_PROVIDER)
    bad = [(topic, f"bad-{n}", b'{"type": "referral"') for n in range(BAD_RECORDS)]
    asyncio.run(pipeline.publish(bad))
    # produced now (the generator's instants are historical): the latency histogram then
    # measures this pipeline, not the age of the synthetic feed
    now = datetime.now(UTC)
    fresh = [i._replace(event=i.event.model_copy(update={"produced_at": now})) for i in items]
    asyncio.run(publish_feed(pipeline.bootstrap, fresh, pipeline.namespace))
    asyncio.run(
        wait_until_quiet(
            pipeline.bootstrap, pipeline.database_url, pipeline.namespace, give_up_after=300
        )
    )
    topics = asyncio.run(read_summary(pipeline.bootstrap, pipeline.namespace))
    paid = {e.payment_id for e in topics.payment_events if e.reverses is None}
    rejected = _by_reason(topics.rejections)
    print(f"feed expects {expected} payments; the topic has {len(paid)}; rejected {rejected}")
    assert rejected.get("invalid_schema", 0) >= BAD_RECORDS
    _wait_for(prometheus, 'sum(outcomes_payments_total{kind="payment"})', len(paid))
    _wait_for(prometheus, "sum(outcomes_events_rejected_total)", sum(rejected.values()))
    pipeline_rejections[:] = [(r, n) for r, n in sorted(rejected.items())]
    _wait_for(prometheus, "sum(outcomes_consumer_lag_records)", 0)
    time.sleep(3)  # a few more scrapes and rule evaluations over the settled state
    return prometheus


def test_every_service_is_scraped(after_a_feed: str) -> None:
    targets = get(after_a_feed, "/api/v1/targets")["activeTargets"]

    assert {t["labels"]["service"]: t["health"] for t in targets} == {
        "intake": "up",
        "placement": "up",
        "sustainment": "up",
        "payments": "up",
        "views": "up",
    }


def test_every_dashboard_expression_evaluates_over_existing_metrics(after_a_feed: str) -> None:
    scraped = set(get(after_a_feed, "/api/v1/label/__name__/values"))
    known = scraped | _registry_names()
    errors, unknown, report = [], [], []
    for item in dashboard_queries():
        answer = query(after_a_feed, item.expr)
        if answer["status"] != "success":
            errors.append(f"{item.panel}: {item.expr}: {answer.get('error')}")
            continue
        unknown += [f"{item.panel}: {n}" for n in sorted(metric_names(item.expr) - known)]
        lines = describe(answer["data"]["result"], item.legend) or ["(no series)"]
        report.append(f"{item.panel} [{item.legend}]: " + "; ".join(lines))
    print("\n".join(report))

    assert errors == []
    assert unknown == []


def test_every_alert_rule_is_loaded_evaluates_and_names_existing_metrics(
    after_a_feed: str,
) -> None:
    scraped = set(get(after_a_feed, "/api/v1/label/__name__/values"))
    known = scraped | _registry_names()
    rules = [r for g in get(after_a_feed, "/api/v1/rules")["groups"] for r in g["rules"]]

    assert sorted(r["name"] for r in rules) == sorted(alert_names())
    for rule in rules:
        assert rule["health"] == "ok", rule
        assert query(after_a_feed, rule["query"])["status"] == "success", rule
        assert metric_names(rule["query"]) - known == set(), rule["name"]


def test_the_metrics_the_issue_asks_for_are_scraped(after_a_feed: str) -> None:
    scraped = set(get(after_a_feed, "/api/v1/label/__name__/values"))

    assert {
        "outcomes_consumer_lag_records",
        "outcomes_held_pending_events",
        "outcomes_outbox_pending_events",
        "outcomes_outbox_oldest_age_seconds",
        "outcomes_relay_failures_total",
        "outcomes_outbox_dead_letters_total",
        "outcomes_milestones_total",
        "outcomes_payments_total",
        "outcomes_payments_pence_total",
    } <= scraped

    def values(expr: str) -> dict[str, float]:
        result = query(after_a_feed, expr)["data"]["result"]
        return {"/".join(r["metric"].values()): float(r["value"][1]) for r in result}

    paid = values('sum by (contract) (increase(outcomes_payments_total{kind="payment"}[1h]))')
    assert sum(1 for v in paid.values() if v > 0) >= 2, paid
    rejected = values("sum by (reason) (outcomes_events_rejected_total) > 0")
    assert rejected == {reason: float(n) for reason, n in pipeline_rejections}
    assert values("sum(rate(outcomes_events_consumed_total[1m]))")[""] > 0
    assert values("sum(outcomes_payment_latency_seconds_count)")[""] > 0


def test_service_logs_are_json_lines_without_personal_data(
    after_a_feed: str, pipeline: Pipeline
) -> None:
    feed = generate_feed(PARTICIPANTS, SEED)
    referrals = [i.event for i in feed if isinstance(i.event, ReferralMade)]
    personal = {r.nino for r in referrals} | {r.date_of_birth.isoformat() for r in referrals}
    assert personal
    rejections = []
    for service in pipeline.processes.services:
        text = (pipeline.processes.state_dir / f"{service}.log").read_text()
        entries = [json.loads(line) for line in text.splitlines() if line.strip()]

        assert {e["service"] for e in entries} == {service}
        assert [p for p in personal if p in text] == []
        rejections += [e for e in entries if e.get("reason") == "invalid_schema"]
    assert (
        sum(e["topic"] == pipeline.topic(PROVIDER_INTAKE, BAD_RECORDS_PROVIDER) for e in rejections)
        >= BAD_RECORDS
    )

    assert len(rejections) == dict(pipeline_rejections)["invalid_schema"]
    for entry in rejections:
        assert entry["topic"].startswith(pipeline.namespace)
        assert isinstance(entry["partition"], int)
        assert isinstance(entry["offset"], int)
