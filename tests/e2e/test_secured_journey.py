"""The four services on the secured broker, each under its own principal: a provider
publishes a journey with its own credentials and finance reads the payment; and provider
B, with its own credentials, cannot cost provider A money (domain.md v3 §9): B takes A's
next ids first and copies A's next evidence onto its own topic, and A is paid exactly
what an untouched control journey of A is paid."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.payments import ProviderPaymentIssued
from schemas.topics import (
    PAYMENTS,
    PROVIDER_EVIDENCE,
    SERVICES,
    provider_rejections_topic,
    provider_topic,
    qualified,
)
from tests.e2e.conftest import PARTICIPANT_KEY, free_port
from tests.e2e.test_journey import Message, journey
from tests.secured import SecuredKafka
from tools.services import ServiceProcesses

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PROVIDER = "prov-whp-central"
A, B = PROVIDER, "prov-whp-south"
"""B is not test_secured_broker's B (prov-whp-west): that module counts what is on its
rejection topic of the session's secured broker."""


@pytest.fixture(scope="module")
def secured_services(
    secured_kafka: SecuredKafka, database_url: str, tmp_path_factory: Any
) -> Iterator[ServiceProcesses]:
    database = f"e2e_secured_{uuid.uuid4().hex[:12]}"
    asyncio.run(_sql(database_url, f'CREATE DATABASE "{database}"'))
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
        asyncio.run(_sql(database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def _sql(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


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


# --- one provider can never cost another money (domain.md v3 §9, issue 11 item 3) -------


async def _read_all(kafka: SecuredKafka, principal: str, topic: str, until: Any) -> list[Any]:
    """Records of ``topic`` (decoded JSON) read from the beginning as ``principal``, without
    a consumer group, until ``until(records)`` holds."""
    consumer = AIOKafkaConsumer(
        topic, **kafka.options(principal), group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    seen: list[Any] = []
    try:
        async with asyncio.timeout(150):
            while not until(seen):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    seen += [json.loads(r.value) for r in records if r.value is not None]
    finally:
        await consumer.stop()
    return seen


async def _publish(kafka: SecuredKafka, principal: str, messages: list[Message]) -> None:
    producer = AIOKafkaProducer(**kafka.options(principal), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key.encode())
    finally:
        await producer.stop()


def _squatting(run: str, nino: str) -> list[Message]:
    """B's own valid journey (its own person, contract and borough) under the very ids A
    will use in run ``run`` (the ids are predictable): B takes them first."""
    out: list[Message] = []
    for topic, key, value in journey(run, "whp-south", "Croydon", nino, 1400):
        body = json.loads(value)
        for field in ("referral_id", "placement_id", "evidence_id"):
            if field in body:
                body[field] = body[field].replace("whp-south", "whp-central")
        out.append((topic, key.replace("whp-south", "whp-central"), json.dumps(body).encode()))
    return out


def _copies_on_bs_topic(messages: list[Message]) -> list[Message]:
    """A's evidence, byte for byte (same event ids, A's provider_id), on B's own topic."""
    a_evidence = provider_topic(PROVIDER_EVIDENCE, A)
    return [
        (provider_topic(PROVIDER_EVIDENCE, B), key, value)
        for topic, key, value in messages
        if topic == a_evidence
    ]


def _payments_of(records: list[Any], provider: str, placement_id: str) -> list[tuple[str, int]]:
    return sorted(
        (r["milestone"], r["amount_pence"])
        for r in records
        if r.get("type") == "provider_payment"
        and r["provider_id"] == provider
        and r["lineage"].get("placement_id") == placement_id
    )


async def test_b_cannot_pre_empt_squat_or_suppress_as_events_on_the_secured_broker(
    secured_kafka: SecuredKafka, secured_services: ServiceProcesses
) -> None:
    attacked, control = uuid.uuid4().hex[:6], uuid.uuid4().hex[:6]
    n = int(attacked, 16) % 1_000_000
    a_attacked = journey(attacked, "whp-central", "Camden", f"JK{n:06d}A", 1400)
    a_control = journey(control, "whp-central", "Camden", f"JL{n:06d}B", 1400)
    copies = _copies_on_bs_topic(a_attacked)
    placement = f"plc-{attacked}-whp-central"

    # B, under its own principal, takes A's next ids first and copies A's next evidence
    await _publish(secured_kafka, B, [*_squatting(attacked, f"JM{n:06d}C"), *copies])
    copied = {json.loads(v)["event_id"] for _, _, v in copies}
    told_b = await _read_all(
        secured_kafka,
        B,
        provider_rejections_topic(B),
        lambda rs: copied <= {r["source_event_id"] for r in rs},
    )
    await _read_all(  # B's own entities under A's ids are established and paid first
        secured_kafka,
        "finance",
        qualified(PAYMENTS),
        lambda rs: _payments_of(rs, B, placement),
    )

    # then A sends its journey, and a control journey B does not touch
    await _publish(secured_kafka, A, [*a_attacked, *a_control])
    payments = await _read_all(
        secured_kafka,
        "finance",
        qualified(PAYMENTS),
        lambda rs: (
            _payments_of(rs, A, placement) and _payments_of(rs, A, f"plc-{control}-whp-central")
        ),
    )

    assert {r["reason"] for r in told_b if r["source_event_id"] in copied} == {"provider_mismatch"}
    a_paid = _payments_of(payments, A, placement)
    assert a_paid == _payments_of(payments, A, f"plc-{control}-whp-central")
    assert a_paid == [("earnings_outcome", 500_000)]
    # the same ids name B's own placement too: paid to B by B's contract (15 % LLW uplift)
    assert _payments_of(payments, B, placement) == [("earnings_outcome", 460_000)]
