"""Session fixtures: the local Kafka and PostgreSQL, started on demand and left running.

``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` pointing elsewhere mean: use that server and
start nothing. The deploy scripts are idempotent, so a later session reuses the servers.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.databases import temporary_database
from deploy.local import LOCAL_DATABASE_URL, LOCAL_KAFKA_BOOTSTRAP
from tests.secured import SecuredKafka
from tests.secured import secured_kafka as start_secured_kafka

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap: str
    database_url: str


def _start(scripts: list[str]) -> None:
    """Run ``deploy/<script> start`` for each script, in parallel; fail with their output."""
    runs = [
        (
            script,
            subprocess.Popen(
                ["bash", str(ROOT / "deploy" / script), "start"],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
        for script in scripts
    ]
    for script, process in runs:
        output, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            pytest.fail(f"deploy/{script} start failed:\n{output}", pytrace=False)


@pytest.fixture(scope="session")
def infrastructure() -> Infrastructure:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA_BOOTSTRAP
    database = os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL
    local = [
        script
        for script, address, default in (
            ("postgres.sh", database, LOCAL_DATABASE_URL),
            ("kafka.sh", kafka, LOCAL_KAFKA_BOOTSTRAP),
        )
        if address == default
    ]
    _start(local)
    return Infrastructure(kafka_bootstrap=kafka, database_url=database)


@pytest.fixture(scope="session")
def kafka_bootstrap(infrastructure: Infrastructure) -> str:
    return infrastructure.kafka_bootstrap


@pytest.fixture(scope="session")
def database_url(infrastructure: Infrastructure) -> str:
    return infrastructure.database_url


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    """URL of a new, empty database on the server; dropped after the test."""
    async with temporary_database(database_url, f"test_{uuid.uuid4().hex[:16]}") as url:
        yield url


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    """The session's own secured broker (tests/secured.py), stopped at the end."""
    yield from start_secured_kafka(tmp_path_factory.mktemp("secured"))
