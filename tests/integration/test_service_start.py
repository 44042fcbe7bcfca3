"""A service process refuses to start without its pseudonymisation key, unless in
development mode, which it says loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _run_intake(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PARTICIPANT_ID_KEY", "OUTCOMES_DEV_MODE", "KAFKA_SECURITY_PROTOCOL")
    }
    return subprocess.run(
        [sys.executable, "-m", "services.intake"],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": "postgresql://nobody:x@127.0.0.1:1/none", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_intake_refuses_to_start_without_a_participant_key() -> None:
    run = _run_intake()
    assert run.returncode == 2
    assert "PARTICIPANT_ID_KEY is not set" in run.stdout + run.stderr


def test_development_mode_starts_with_the_development_key_and_says_so() -> None:
    # the database does not exist: the service gets past the key check, then fails
    run = _run_intake(OUTCOMES_DEV_MODE="1")
    output = run.stdout + run.stderr
    assert "OUTCOMES_DEV_MODE=1: DEVELOPMENT RUN with the development PARTICIPANT_ID_KEY" in output
    assert "refuses to start" not in output


def test_sasl_without_credentials_is_refused() -> None:
    run = _run_intake(PARTICIPANT_ID_KEY="k", KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT")
    assert run.returncode == 2
    assert "needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD" in run.stdout + run.stderr
