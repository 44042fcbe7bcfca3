"""deploy/kafka.sh and deploy/postgres.sh never start a second server on a taken port.

Something listens on the port but never answers (a plain socket, standing in for a
broker too loaded to answer): the script waits START_TIMEOUT, then fails with a clear
message instead of starting a server that cannot bind.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port
from tools.infra import PG_BIN

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port where the kernel accepts connections and nobody ever replies."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def run_script(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "KAFKA_SECURED")
    }
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / name), "start"],
        cwd=ROOT,
        env={**base, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kafka_start_refuses_a_port_where_something_does_not_answer_as_kafka(
    silent_port: int, tmp_path: Path
) -> None:
    state = tmp_path / "kafka"
    done = run_script(
        "kafka.sh",
        {
            "KAFKA_PORT": str(silent_port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_STATE_DIR": str(state),
            "KAFKA_START_TIMEOUT": "2",
        },
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"something listens on :{silent_port} but does not answer as Kafka" in done.stderr, (
        done.stderr
    )
    assert "starting Kafka" not in done.stdout
    assert not (state / "kafka.pid").exists()
    assert not (state / "data").exists()


@pytest.mark.skipif(not (PG_BIN / "pg_isready").exists(), reason="PostgreSQL 15 not installed")
def test_postgres_start_refuses_a_port_where_something_does_not_answer_as_postgres(
    silent_port: int, tmp_path: Path
) -> None:
    state = tmp_path / "postgres"
    done = run_script(
        "postgres.sh",
        {
            "POSTGRES_PORT": str(silent_port),
            "POSTGRES_STATE_DIR": str(state),
            "POSTGRES_START_TIMEOUT": "2",
        },
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"something listens on :{silent_port} but does not answer as PostgreSQL" in done.stderr
    ), done.stderr
    assert "starting PostgreSQL" not in done.stdout
    assert not (state / "data").exists()
