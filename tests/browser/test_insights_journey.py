"""The insights pages in a real browser against the running services (real Kafka and
PostgreSQL), per role: a commissioner (funnel, cohort curves, what-if), an enforcement
team (its borough's minimum-wage feed), finance (statement, reconciliation, search), ops
(the dashboard from a real Prometheus scraping the services), and a provider's adviser
refused them all (404). axe-core checks every page; screenshots for docs/screenshots/.

The story (whp-central, programme start 1 April 2024): C01-C12 in Camden, C01-C10 in work
from 15 April at £14.00 an hour (London Living Wage) and each paid an earnings outcome
(£4,000 + 25 % uplift); H01 (19) and H02 (33) in Hackney at £10.00 an hour, below the NLW.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import urllib.error
from collections.abc import Iterator
from datetime import UTC, date, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from deploy.prometheus.config import write
from deploy.prometheus.expressions import query
from services.web.accounts_admin import add_account
from tests.browser.conftest import PASSWORD, WebApp, check_page
from tests.browser.pages import column, sign_in, status_of, submit_and_wait, text
from tests.browser.story import publish, wait_for
from tests.builders import evidence, job_start, programme_start, referral
from tests.e2e.conftest import Pipeline, free_port

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.integration]

CAMDEN = [f"C{n:02d}" for n in range(1, 13)]
REFUSED = ("/outcomes", "/outcomes/cohorts", "/minimum-wage", "/what-if", "/finance/statements",
           "/finance/reconciliation", "/finance/payments", "/ops")  # fmt: skip
ROLES = {
    "commissioner": "commissioner:central",
    "enforcement": "enforcement:hackney",
    "finance": "finance",
    "ops": "ops",
}


def story() -> list[object]:
    people = [referral(r, nino=f"AB{n:06d}C") for n, r in enumerate(CAMDEN, 1)]
    people += [
        referral("H01", nino="CE000001A", borough="Hackney", date_of_birth=date(2005, 1, 1)),
        referral("H02", nino="CE000002A", borough="Hackney", date_of_birth=date(1991, 1, 1)),
    ]
    jobs = [job_start(f"J-{r}", referral_id=r) for r in CAMDEN[:10]]
    jobs.append(job_start("J-H01", referral_id="H01", hourly_wage_pence=1000))
    jobs.append(
        job_start("J-H02", referral_id="H02", hourly_wage_pence=1000).model_copy(
            update={"employer_name": "Corner Shop Ltd"}
        )
    )
    payslips = [
        evidence(f"EV-{r}", date(2024, 4, 15), date(2024, 5, 19), 480_000, placement_id=f"J-{r}")
        for r in CAMDEN[:10]
    ]
    return [*people, *(programme_start(p.referral_id) for p in people), *jobs, *payslips]


@pytest.fixture(scope="module")
def prometheus(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus scraping the pipeline's services; the web app is told where it is
    (PROMETHEUS_PORT, read by the web app started after this fixture)."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus not found: make prometheus")
    state = tmp_path_factory.mktemp("prometheus")
    targets = {s: f"127.0.0.1:{port}" for s, port in pipeline.processes.ports.items()}
    config = write(state / "prometheus.yml", targets, scrape_interval="1s")
    port = free_port()
    with (state / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={state / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    before = os.environ.get("PROMETHEUS_PORT")
    os.environ["PROMETHEUS_PORT"] = str(port)
    try:
        _wait_for_scrapes(url, len(targets))
        yield url
    finally:
        if before is None:
            os.environ.pop("PROMETHEUS_PORT", None)
        else:
            os.environ["PROMETHEUS_PORT"] = before
        process.terminate()
        process.wait(timeout=30)


def _wait_for_scrapes(url: str, targets: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            result = query(url, 'count(up{job="outcomes"} == 1)')["data"]["result"]
            if result and int(float(result[0]["value"][1])) == targets:
                return
        except (urllib.error.URLError, ConnectionError, KeyError):
            pass
        time.sleep(0.5)
    pytest.fail("Prometheus did not scrape every service within 90 s")


@pytest.fixture(scope="module")
def app(prometheus: str, web_app: WebApp) -> WebApp:
    publish(web_app.pipeline, *story())  # type: ignore[arg-type]
    wait_for(web_app.pipeline, "SELECT count(*) FROM views.payments", 10)
    wait_for(web_app.pipeline, "SELECT count(*) FROM views.placements", 12)
    for username, role in ROLES.items():
        asyncio.run(
            add_account(web_app.pipeline.database_url, username, role, PASSWORD, datetime.now(UTC))
        )
    return web_app


def test_a_commissioner_reads_the_funnel(driver: WebDriver, app: WebApp) -> None:
    sign_in(driver, app, "commissioner")
    driver.get(app.at("/outcomes?by=borough"))

    assert column(driver, "#funnel tbody tr") == [
        "Camden 12 10 10 10 <10 10 <10 <10 <10",
        "Hackney <10 <10 <10 <10 <10 <10 <10 <10 <10",
        "All 14 12 10 10 <10 10 <10 <10 <10",
    ]
    check_page(driver, "insights-funnel")


def test_a_commissioner_reads_the_cohort_curves(driver: WebDriver, app: WebApp) -> None:
    sign_in(driver, app, "commissioner")
    driver.get(app.at("/outcomes/cohorts"))

    # today (WEB_TODAY) is 1 June 2024: the April cohort is one whole month old
    assert column(driver, "#chart-in_work-table tbody tr") == [
        "All starters 1 1 14 12 85.7% 60.1% to 96.0%"
    ]
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-in_work-heading ~ figure svg polyline")
    check_page(driver, "insights-cohorts")


async def _topic_end_offsets(pipeline: Pipeline) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=pipeline.bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(pipeline.namespace)]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=pipeline.bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
            ]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {f"{tp.topic}:{tp.partition}": offset for tp, offset in sorted(ends.items())}


async def _ledger_rows(pipeline: Pipeline) -> dict[str, int]:
    conn = await asyncpg.connect(pipeline.database_url)
    try:
        return {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
            for table in ("payments.payments", "payments.outbox", "sustainment.milestones",
                          "views.payments", "views.milestones")
        }  # fmt: skip
    finally:
        await conn.close()


def test_a_what_if_writes_no_topic_no_ledger_row_no_payment(driver: WebDriver, app: WebApp) -> None:
    pipeline = app.pipeline
    offsets, rows = asyncio.run(_topic_end_offsets(pipeline)), asyncio.run(_ledger_rows(pipeline))
    assert sum(offsets.values()) > 0
    sign_in(driver, app, "commissioner")
    driver.get(app.at("/what-if?contract=whp-central"))
    uplift = driver.find_element(By.ID, "llw-uplift")
    uplift.clear()
    uplift.send_keys("40")
    submit_and_wait(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Replay']"))

    assert text(driver, "#what-if-result") == "14 participants of whp-central replayed"
    assert column(driver, "#what-if-summary dd") == ["£50,000.00", "£56,000.00", "£6,000.00", "10"]
    assert len(column(driver, "#what-if-changes tbody tr")) == 10
    check_page(driver, "insights-what-if")
    time.sleep(2)  # anything the page had made the services do would have reached Kafka by now
    assert asyncio.run(_topic_end_offsets(pipeline)) == offsets
    assert asyncio.run(_ledger_rows(pipeline)) == rows


def test_an_enforcement_team_reads_its_boroughs_minimum_wage_feed(
    driver: WebDriver, app: WebApp
) -> None:
    sign_in(driver, app, "enforcement")
    driver.get(app.at("/minimum-wage"))

    assert [row.split(" Hackney")[0] for row in column(driver, "#minimum-wage-jobs tbody tr")] == [
        "Case to check Camden Market Ltd",
        "Breach Corner Shop Ltd",
    ]
    assert status_of(driver, "/minimum-wage.csv") == 200
    assert status_of(driver, "/outcomes") == 404
    check_page(driver, "insights-minimum-wage-enforcement")


def test_finance_reads_the_statement_reconciliation_and_a_payment(
    driver: WebDriver, app: WebApp
) -> None:
    sign_in(driver, app, "finance")
    driver.get(app.at("/finance/statements?contract=whp-central"))  # this month
    assert len(column(driver, ".app-statement__lines tbody tr")) == 10
    check_page(driver, "insights-statement")

    driver.get(app.at("/finance/reconciliation"))
    assert text(driver, "#reconciliation-status").startswith("Balanced")
    check_page(driver, "insights-reconciliation")

    driver.get(app.at("/finance/payments?q=C07"))
    assert len(column(driver, "#payments-found tbody tr")) == 1
    check_page(driver, "insights-payment-search")


def test_ops_reads_the_dashboard_from_prometheus(driver: WebDriver, app: WebApp) -> None:
    sign_in(driver, app, "ops")
    driver.get(app.at("/ops"))

    panels = {
        text(driver, f"#{t.get_attribute('id')} caption"): column(
            driver, f"#{t.get_attribute('id')} tbody tr"
        )
        for t in driver.find_elements(By.CSS_SELECTOR, ".app-ops__panel table")
    }
    assert sorted(panels["Services up"]) == [f"{s} 1" for s in sorted(app.pipeline.processes.ports)]
    assert driver.find_elements(By.CSS_SELECTOR, ".govuk-warning-text") == []
    check_page(driver, "insights-ops")


def test_a_providers_adviser_is_refused_every_insights_page(driver: WebDriver, app: WebApp) -> None:
    sign_in(driver, app, "adviser")
    for path in REFUSED:
        assert status_of(driver, path) == 404, path
    driver.get(app.at("/what-if"))
    assert text(driver, "h1") == "Page not found"
    check_page(driver, "insights-provider-refused")
