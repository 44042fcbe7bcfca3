"""Browser tests: the five services as processes (the e2e ``pipeline``: real Kafka, real
PostgreSQL), the web app as a process of its own, and Debian's headless Chromium.

``make test`` runs the journey (the issue's list); ``make test-browser`` (BROWSER_TESTS=all)
also runs the tests marked ``extended``. Screenshots go to ``.state/screenshots/`` (or
BROWSER_SCREENSHOTS); ``docs/screenshots/`` holds copies of the final ones.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from services.web.accounts_admin import add_account
from tests.browser.chromium import axe_violations, chromium, missing, serious
from tests.e2e.conftest import Pipeline, free_port, pipeline
from tools.services import stop_pid

ROOT: Final = Path(__file__).resolve().parents[2]
SCREENSHOTS: Final = Path(os.environ.get("BROWSER_SCREENSHOTS") or ROOT / ".state/screenshots")
TODAY: Final = date(2024, 6, 1)
PASSWORD: Final = "browser test password"

__all__ = ["pipeline"]  # the e2e tests' fixture: every service as a process


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("BROWSER_TESTS") == "all":
        return
    skip = pytest.mark.skip(reason="extended browser test: make test-browser")
    for item in items:
        if "extended" in item.keywords:
            item.add_marker(skip)


@dataclass(frozen=True)
class WebApp:
    url: str
    pipeline: Pipeline

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="module")
def web_app(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    port = free_port()
    log = tmp_path_factory.mktemp("web") / "web.log"
    env = {
        **os.environ,
        "DATABASE_URL": pipeline.database_url,
        "WEB_PORT": str(port),
        "WEB_SECRET_KEY": "browser-test-secret-key",
        "WEB_TODAY": TODAY.isoformat(),
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.web"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        for username, role in (
            ("adviser", "provider:prov-whp-central"),
            ("west-adviser", "provider:prov-whp-west"),
        ):
            asyncio.run(
                add_account(pipeline.database_url, username, role, PASSWORD, datetime.now(UTC))
            )
        yield WebApp(url, pipeline)
    finally:
        stop_pid(process.pid, 10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the web app exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/sign-in", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    pytest.fail(f"the web app did not answer in 60 s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    reason = missing()
    if reason is not None:
        pytest.fail(reason, pytrace=False)
    with chromium() as browser:
        yield browser


def check_page(driver: WebDriver, name: str, *, axe: bool = True) -> None:
    """A screenshot of the page as it is, and axe-core's verdict: no serious or critical
    WCAG 2.2 A/AA violation (``axe=False``: a browser without JavaScript, where axe-core
    cannot run; the same pages are checked with it elsewhere)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(max(int(height), 600), 4000))
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    if not axe:
        return
    found = serious(axe_violations(driver))
    assert found == [], f"{name}: {found}"
