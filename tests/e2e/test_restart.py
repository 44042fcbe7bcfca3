"""A SIGKILLed service, restarted, consumes again quickly (static group membership).

Measures restart (process start) -> first new input consumed (its id in the inbox) and
prints it; asserts only that it happens, within a generous deadline.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from deploy.create_topics import ensure_topics
from deploy.databases import temporary_database
from schemas.base import ProviderEvent
from schemas.topics import PROVIDER_INTAKE, provider_topic
from tests.builders import PROVIDER, programme_start, referral
from tests.e2e.conftest import PARTICIPANT_KEY, free_port
from tools.services import ServiceProcesses

pytestmark = pytest.mark.e2e

DEADLINE_SECONDS = 30.0


async def publish(bootstrap: str, topic: str, events: list[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            key = event.referral_id.encode()
            await producer.send_and_wait(topic, event.model_dump_json().encode(), key=key)
    finally:
        await producer.stop()


def inbox_name(event: ProviderEvent) -> str:
    """How intake's inbox names a provider's event: with its provider (domain.md v3 §9)."""
    return f"{event.provider_id}:{event.event_id}"


async def until_consumed(database_url: str, event_ids: list[str], deadline: float) -> float:
    """Seconds until every inbox name is in intake's inbox (polls the database)."""
    started = time.monotonic()
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(deadline):
            while True:
                try:
                    found = await conn.fetchval(
                        "SELECT count(*) FROM intake.inbox WHERE message_id = ANY($1::text[])",
                        event_ids,
                    )
                except asyncpg.UndefinedTableError:  # not migrated yet
                    found = 0
                if found == len(event_ids):
                    return time.monotonic() - started
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


@pytest.fixture
async def database(database_url: str) -> Any:
    async with temporary_database(database_url, f"e2e_restart_{uuid.uuid4().hex[:10]}") as url:
        yield url


async def test_a_sigkilled_service_consumes_again_soon_after_restart(
    kafka_bootstrap: str, database: str, tmp_path: Path
) -> None:
    # given intake running on its own namespace, having consumed a first journey
    namespace = f"e2e-{uuid.uuid4().hex[:8]}."
    await ensure_topics(kafka_bootstrap, namespace)
    topic = provider_topic(PROVIDER_INTAKE, PROVIDER, namespace)
    processes = ServiceProcesses(
        env={
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "DATABASE_URL": database,
            "TOPIC_NAMESPACE": namespace,
            "PARTICIPANT_ID_KEY": PARTICIPANT_KEY,
            "OUTCOMES_DEV_MODE": "1",
            "BATCH_WITHIN_SECONDS": "0.05",
        },
        state_dir=tmp_path,
        ports={"intake": free_port()},
        services=("intake",),
    )
    first = [referral("ref-a"), programme_start("ref-a")]
    second = [referral("ref-b", nino="CE654321A"), programme_start("ref-b")]
    processes.start()
    try:
        await publish(kafka_bootstrap, topic, first)
        await until_consumed(database, [inbox_name(e) for e in first], 120)

        # when it is SIGKILLed, more input arrives, and it is started again
        processes.processes["intake"].send_signal(signal.SIGKILL)
        processes.processes["intake"].wait(timeout=10)
        await publish(kafka_bootstrap, topic, second)
        restarted = time.monotonic()
        processes.start()
        waited = await until_consumed(database, [inbox_name(e) for e in second], DEADLINE_SECONDS)
    except TimeoutError:
        pytest.fail(f"intake did not consume again:\n{processes.tail('intake', 40)}")
    finally:
        processes.stop()

    # then it consumed the new input (the time is printed, not asserted)
    seconds = time.monotonic() - restarted
    print(f"\nrestart -> first consumption after SIGKILL: {seconds:.1f}s (polled {waited:.1f}s)")
    assert seconds < DEADLINE_SECONDS
