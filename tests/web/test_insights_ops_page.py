"""The ops page reads the running Prometheus through its HTTP API: a real Prometheus
scrapes the services' metrics (the real registry, served over HTTP by this process) and
the page shows every dashboard panel's current values and rejections over the hour."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY, start_http_server

from deploy.prometheus.config import write
from deploy.prometheus.expressions import dashboard_queries, get, query
from services.common.metrics import EVENTS_REJECTED, HELD_PENDING
from tests.e2e.conftest import free_port
from tests.web.conftest import AddUser, Browser, text_of, texts_of
from tests.web.insights_fixtures import empty_read_model, signed_in

pytestmark = pytest.mark.integration
REASON = "insights_page_test_reason"
SERVICE = "insights-page-test"

__all__ = ["empty_read_model"]


def _wait(url: str, expr: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if query(url, expr)["data"]["result"]:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    pytest.fail(f"Prometheus never answered {expr} within {seconds} s")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus not found: make prometheus")
    metrics_port = free_port()
    server, _ = start_http_server(metrics_port, addr="127.0.0.1", registry=REGISTRY)
    EVENTS_REJECTED.labels("intake", "provider.test.intake.v1", REASON)  # exposed at 0
    HELD_PENDING.labels(SERVICE).set(4)
    state = tmp_path_factory.mktemp("prometheus")
    config = write(
        state / "prometheus.yml", {"intake": f"127.0.0.1:{metrics_port}"}, scrape_interval="1s"
    )
    port = free_port()
    with (state / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={state / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, 'up{job="outcomes"} == 1')
        EVENTS_REJECTED.labels("intake", "provider.test.intake.v1", REASON).inc(3)
        _wait(url, f'outcomes_events_rejected_total{{reason="{REASON}"}} == 3')
        assert get(url, "/api/v1/status/buildinfo")["version"]
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        server.shutdown()


async def test_the_ops_page_shows_the_dashboard_from_prometheus(
    browser: Browser,
    add_user: AddUser,
    empty_read_model: None,
    prometheus: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROMETHEUS_PORT", prometheus.rsplit(":", 1)[1])
    browser.clock.now = datetime.now(UTC)
    ops = await signed_in(browser, add_user, "ops")

    status, page = ops.get("/ops")

    assert status == 200
    captions = texts_of(page, ".app-ops__panel caption")
    assert captions == list(dict.fromkeys(q.panel for q in dashboard_queries()))
    panel = {
        text_of(t, "caption"): texts_of(t, "tbody tr") for t in page.select(".app-ops__panel table")
    }
    assert panel["Services up"] == ["intake 1"]
    assert f"{SERVICE} 4" in panel["Held events"]
    assert f"intake {REASON} 3" in panel["Rejections by reason (since start)"]
    assert any(row.startswith(REASON) for row in texts_of(page, "#rejections-over-time tbody tr"))


async def test_the_ops_page_says_when_prometheus_does_not_answer(
    browser: Browser, add_user: AddUser, empty_read_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_PORT", str(free_port()))
    ops = await signed_in(browser, add_user, "ops")

    _, page = ops.get("/ops")

    assert text_of(page, ".govuk-warning-text").startswith("! Warning Prometheus did not answer")
