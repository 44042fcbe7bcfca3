"""The four services as real processes on a unique topic namespace and a fresh database."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from deploy.create_topics import delete_namespace_topics, ensure_topics
from schemas.topics import SERVICES, TopicSpec, topic_name
from tools.services import ServiceProcesses

PARTICIPANT_KEY = "e2e-test-key-of-the-minimum-32-bytes"  # secured journey: no dev mode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Pipeline:
    bootstrap: str
    database_url: str
    namespace: str
    processes: ServiceProcesses

    def topic(self, spec: TopicSpec, provider_id: str | None = None) -> str:
        return topic_name(spec, self.namespace, provider_id)

    async def publish(self, messages: list[tuple[str, str, bytes]]) -> None:
        """Send (topic name without the namespace, key, value) messages in order."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await producer.start()
        try:
            for topic, key, value in messages:
                await producer.send_and_wait(self.namespace + topic, value=value, key=key.encode())
        finally:
            await producer.stop()

    async def read_until(
        self,
        spec: TopicSpec,
        done: Callable[[list[Any]], bool],
        deadline_seconds: float = 120.0,
        provider_id: str | None = None,
    ) -> list[Any]:
        """Decode events of ``spec`` (of ``provider_id`` for a per-provider kind) from the
        beginning until ``done(events)`` holds."""
        consumer = AIOKafkaConsumer(
            self.topic(spec, provider_id),
            bootstrap_servers=self.bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        events: list[Any] = []
        try:
            async with asyncio.timeout(deadline_seconds):
                while not done(events):
                    batches = await consumer.getmany(timeout_ms=500)
                    for records in batches.values():
                        events.extend(spec.adapter.validate_json(r.value) for r in records)
        except TimeoutError:
            logs = "\n".join(
                f"--- {s}\n{self.processes.tail(s, 15)}" for s in self.processes.services
            )
            pytest.fail(f"timed out on {spec.name}; got {events}\n{logs}")
        finally:
            await consumer.stop()
        return events


@pytest.fixture(scope="module")
def pipeline(kafka_bootstrap: str, database_url: str, tmp_path_factory: Any) -> Iterator[Pipeline]:
    namespace = f"e2e-{uuid.uuid4().hex[:8]}."
    database = f"e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(_create_database(database_url, database))
    asyncio.run(ensure_topics(kafka_bootstrap, namespace))
    url = urlsplit(database_url)._replace(path=f"/{database}").geturl()
    state: Path = tmp_path_factory.mktemp("services")
    processes = ServiceProcesses(
        env={
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "DATABASE_URL": url,
            "TOPIC_NAMESPACE": namespace,
            "PARTICIPANT_ID_KEY": PARTICIPANT_KEY,
            "OUTCOMES_DEV_MODE": "1",
            "BATCH_WITHIN_SECONDS": "0.05",
        },
        state_dir=state,
        ports={service: free_port() for service in SERVICES},
    )
    processes.start()
    try:
        processes.wait_ready(timeout=120)
        yield Pipeline(kafka_bootstrap, url, namespace, processes)
    finally:
        processes.stop()
        asyncio.run(_drop_database(database_url, database))
        asyncio.run(delete_namespace_topics(kafka_bootstrap, namespace))


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def db(pipeline: Pipeline) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pipeline.database_url)
    try:
        yield conn
    finally:
        await conn.close()
