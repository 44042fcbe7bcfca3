"""Debian's headless Chromium driven by Selenium through Debian's chromedriver (never a
downloaded browser: ``deploy/chromium.sh`` installs both), with axe-core (npm, pinned)
injected into pages to check them against WCAG 2.2 AA."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

ROOT: Final = Path(__file__).resolve().parents[2]
AXE_JS: Final = ROOT / "services/web/assets/node_modules/axe-core/axe.min.js"
CHROMIUM: Final = "/usr/bin/chromium"
CHROMEDRIVER: Final = "/usr/bin/chromedriver"
FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
WCAG_22_AA: Final = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
SERIOUS: Final = frozenset({"serious", "critical"})


def missing() -> str | None:
    """Why the browser cannot run here (None: it can)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"{path} not found: run `make chromium` (Debian chromium, chromium-driver)"
    if not AXE_JS.exists():
        return f"{AXE_JS} not found: run `make web-assets`"
    return None


@contextmanager
def chromium(*, javascript: bool = True) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never fetch a browser or driver
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def axe_violations(driver: WebDriver) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now."""
    driver.execute_script(AXE_JS.read_text())
    result: dict[str, Any] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        "  .then(r => done(r)).catch(e => done({error: String(e)}));",
        list(WCAG_22_AA),
    )
    if "error" in result:
        raise RuntimeError(f"axe-core failed: {result['error']}")
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def serious(violations: list[dict[str, Any]]) -> list[str]:
    """Serious and critical violations, one line each (rule, impact, first target)."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {json.dumps(v['nodes'][0]['target'])}"
        for v in violations
        if v.get("impact") in SERIOUS
    ]
