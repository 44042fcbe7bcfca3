"""The four services on the secured broker, each under its own principal: a provider
publishes a journey with its own credentials and finance reads the payment."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from deploy.databases import create_database, drop_databases
from schemas.payments import ProviderPaymentIssued
from schemas.topics import PAYMENTS, SERVICES, qualified
from tests.e2e.conftest import PARTICIPANT_KEY, free_port
from tests.e2e.test_journey import journey
from tests.secured import SecuredKafka
from tools.services import ServiceProcesses

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PROVIDER = "prov-whp-central"


@pytest.fixture(scope="module")
def secured_services(
    secured_kafka: SecuredKafka, database_url: str, tmp_path_factory: Any
) -> Iterator[ServiceProcesses]:
    database = f"e2e_secured_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(database_url, database))
    processes = ServiceProcesses(
        env={
            "DATABASE_URL": urlsplit(database_url)._replace(path=f"/{database}").geturl(),
            "TOPIC_NAMESPACE": "",
            "PARTICIPANT_ID_KEY": PARTICIPANT_KEY,
            "BATCH_WITHIN_SECONDS": "0.05",
        },
        env_per_service={service: secured_kafka.env(service) for service in SERVICES},
        state_dir=Path(tmp_path_factory.mktemp("secured-services")),
        ports={service: free_port() for service in SERVICES},
    )
    processes.start()
    try:
        processes.wait_ready(timeout=120)
        yield processes
    finally:
        processes.stop()
        asyncio.run(drop_databases(database_url, database))


async def _publish_as_provider(kafka: SecuredKafka, run: str) -> None:
    producer = AIOKafkaProducer(**kafka.options(PROVIDER), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, key, value in journey(run, "whp-central", "Camden", "AB123456C", 1400):
            await producer.send_and_wait(topic, value=value, key=key.encode())
    finally:
        await producer.stop()


async def _payments_as_finance(kafka: SecuredKafka, run: str) -> list[ProviderPaymentIssued]:
    consumer = AIOKafkaConsumer(
        qualified(PAYMENTS),
        **kafka.options("finance"),
        group_id="finance",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    paid: list[ProviderPaymentIssued] = []
    try:
        async with asyncio.timeout(120):
            while not paid:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    events = [PAYMENTS.adapter.validate_json(r.value) for r in records]
                    paid += [
                        e
                        for e in events
                        if isinstance(e, ProviderPaymentIssued)
                        and e.lineage.placement_id == f"plc-{run}-whp-central"
                    ]
    finally:
        await consumer.stop()
    return paid


async def test_a_journey_is_paid_with_every_party_under_its_own_principal(
    secured_kafka: SecuredKafka, secured_services: ServiceProcesses
) -> None:
    run = uuid.uuid4().hex[:6]
    await _publish_as_provider(secured_kafka, run)
    paid = await _payments_as_finance(secured_kafka, run)
    # 1400p/h pays the London Living Wage: 400,000 + 25 % uplift (whp-central)
    assert [(p.provider_id, p.amount_pence) for p in paid] == [(PROVIDER, 500000)]
