"""A service is ready only when its input topics exist and partitions are assigned.

Intake started before its topics exist consumes nothing (faust only logs "Ignoring missing
topic"): it must say so and report ``outcomes_service_ready 0`` until the topics are
there and the group has assigned it partitions.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

from deploy.create_topics import delete_namespace_topics, ensure_topics
from tests.e2e.conftest import free_port
from tools.services import ServiceProcesses, is_ready

pytestmark = pytest.mark.integration


async def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(condition):  # type: ignore[arg-type]
            return True
        await asyncio.sleep(0.5)
    return False


async def test_intake_is_not_ready_until_its_topics_exist_and_are_assigned(
    kafka_bootstrap: str, fresh_database: str, tmp_path: Path
) -> None:
    namespace = f"ready-{uuid.uuid4().hex[:8]}."
    port = free_port()
    intake = ServiceProcesses(
        env={
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "DATABASE_URL": fresh_database,
            "TOPIC_NAMESPACE": namespace,
            "OUTCOMES_DEV_MODE": "1",
            "CONSUMER_METADATA_MAX_AGE_MS": "2000",  # notice the new topics quickly
        },
        state_dir=tmp_path,
        ports={"intake": port},
        services=("intake",),
    )
    log = tmp_path / "intake.log"
    intake.start()
    try:
        said_why = await _wait_for(
            lambda: log.exists() and "input topics missing on the broker" in log.read_text(), 60
        )
        assert said_why, intake.tail("intake")
        assert not await asyncio.to_thread(is_ready, "intake", port)
        await asyncio.sleep(3)  # still not ready a while later
        assert not await asyncio.to_thread(is_ready, "intake", port)

        await ensure_topics(kafka_bootstrap, namespace)
        assert await _wait_for(lambda: is_ready("intake", port), 60), intake.tail("intake")
        assert "intake ready: consuming" in log.read_text()
    finally:
        intake.stop()
        await delete_namespace_topics(kafka_bootstrap, namespace)
