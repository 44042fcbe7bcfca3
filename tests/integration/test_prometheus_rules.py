"""The alert rules pass ``promtool check rules`` and their unit tests (``promtool test rules``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.prometheus.config import default_targets, write
from deploy.prometheus.expressions import ALERTS, alert_names

RULE_TESTS = ALERTS.parent / "alerts_test.yml"
INSTALL_HINT = "install it: bash deploy/prometheus.sh install (apt-get install -y prometheus)"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail(f"promtool not found: {INSTALL_HINT}")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)


def test_rules_are_valid() -> None:
    result = promtool("check", "rules", str(ALERTS))

    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_names())} rules found" in result.stdout


def test_every_alert_has_a_rule_unit_test_and_they_pass() -> None:
    tested = set(
        line.split(":", 1)[1].strip()
        for line in RULE_TESTS.read_text().splitlines()
        if line.strip().startswith("alertname:")
    )
    assert tested == set(alert_names())

    result = promtool("test", "rules", str(RULE_TESTS))

    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_generated_scrape_config_is_valid(tmp_path: Path) -> None:
    config = write(tmp_path / "prometheus.yml", default_targets())

    result = promtool("check", "config", str(config))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    for service, address in default_targets().items():
        assert f'"{address}"' in config.read_text(), service
