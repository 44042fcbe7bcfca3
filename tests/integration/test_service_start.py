"""A service process refuses to start without its pseudonymisation key, unless in
development mode, which it says loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.common.settings import DEVELOPMENT_PARTICIPANT_KEY

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


def test_intake_refuses_the_development_key_or_a_short_key_without_dev_mode() -> None:
    development = _run_intake(PARTICIPANT_ID_KEY=DEVELOPMENT_PARTICIPANT_KEY)
    assert development.returncode == 2
    assert "is the development key" in development.stdout + development.stderr
    short = _run_intake(PARTICIPANT_ID_KEY="x" * 31)
    assert short.returncode == 2
    assert "31 bytes, under the minimum of 32" in short.stdout + short.stderr


def test_development_mode_starts_with_the_development_key_and_says_so() -> None:
    # Nothing listens on the database port: the service gets past the key check, then
    # waits for the database (retrying, never exiting) until it is stopped.
    output = _run_intake_until("database not available (attempt 2)", OUTCOMES_DEV_MODE="1")
    assert "OUTCOMES_DEV_MODE=1: DEVELOPMENT RUN with the development PARTICIPANT_ID_KEY" in output
    assert "refuses to start" not in output
    assert "intake migrate: database not available (attempt 1): ConnectionRefusedError" in output


def _run_intake_until(marker: str, **env: str) -> str:
    """Start intake, read its log until ``marker`` appears (or 60 s pass), stop it."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PARTICIPANT_ID_KEY", "OUTCOMES_DEV_MODE", "KAFKA_SECURITY_PROTOCOL")
    }
    clean = {**clean, "DATABASE_URL": "postgresql://nobody:x@127.0.0.1:1/none", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.intake"],
        cwd=ROOT,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if marker in line or time.monotonic() > deadline:
                break
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    output = "".join(lines)
    assert marker in output, output
    return output


def test_sasl_without_credentials_is_refused() -> None:
    run = _run_intake(PARTICIPANT_ID_KEY="k", KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT")
    assert run.returncode == 2
    assert "needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD" in run.stdout + run.stderr
